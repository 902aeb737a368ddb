"""Persistence: records, files, metrics, the journal of rounds, and rank 0's file service with its workers' side."""
