"""arena5's import paths, kept for the tutorial's scripts: thin re-exports of the packages that do the work.

``arena.core.stems``, ``arena.core.utils``, ``arena.core.policy_record`` and
``arena.core.plot_utils``. New code imports from ``arena`` or the packages themselves.
"""
