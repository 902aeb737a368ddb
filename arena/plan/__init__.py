"""Planning, all pure: which rank plays which role (``roles``), where learners run (``placement``),
and what every rank is told about a round (``rounds``).
"""
