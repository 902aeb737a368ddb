"""The process roles. Every rank calls ``make_stem`` (``serve``): rank 0 returns with the Stem
(``root``); the others serve as environment ranks (``env``) or policy workers (``worker``).
"""
