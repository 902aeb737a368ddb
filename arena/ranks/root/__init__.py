"""Rank 0: the Stem, whose kickoff checks, plans and plays rounds."""
