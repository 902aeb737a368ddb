"""The arena's machinery: the rank plan, communication, and one module per process role."""
