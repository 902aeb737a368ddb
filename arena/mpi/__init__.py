"""Transport, the lowest layer: every MPI call (``comm``) and the message protocol (``protocol``).

``protocol`` holds every tag, header kind, flag and per-step buffer layout.
"""
