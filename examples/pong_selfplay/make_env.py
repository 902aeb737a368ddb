"""Two-player Pong (PettingZoo's, on multi-agent-ale-py with ale-py's ROMs) with DeepMind preprocessing.

Entity 0 is the right paddle (PettingZoo's ``first_0``), entity 1 the left one. The
side channel, a fifth plane of 0 (right) or 255 (left), tells the network which side
it plays, so one policy learns both. Needs: pip install -e ".[multiagent]"
"""

from arena.envs.atari import make_two_player


def make_env(max_cycles=100_000):
    return make_two_player("pong", side_channel=True, max_cycles=max_cycles)
