"""``python -m arena.env_check path/to/make_env.py``: the environment checker (``arena.envs.check_env``)."""

from __future__ import annotations

import sys

from arena.envs.check_env import main

if __name__ == "__main__":
    sys.exit(main())
