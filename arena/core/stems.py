"""The tutorial's import path: ``from arena.core.stems import *`` (arena5's ``arena5.core.stems``).

A thin re-export of ``arena.ranks.serve``; ``arena.compat`` holds the arena5 rules themselves.
"""

from arena.ranks.serve import KickoffError, Stem, count_needed_procs, make_stem, total_steps_to_match_steps

__all__ = ["make_stem", "Stem", "KickoffError", "count_needed_procs", "total_steps_to_match_steps"]
