"""What users look at: learning curves, score tables and the mosaic of games."""
