"""Many Atari games for one policy: each environment rank steps a batch that mixes several games.

``games`` comes from the match's env_kwargs (my_main_script.py shares the games out over
the environment ranks); ``num_copies`` is kickoff's ``copies_per_env``. Copy k plays
``games[k % len(games)]``, every game with ALE's full 18 actions, so one network acts for
all of them, and each copy's episodes are recorded under ``game=<name>``.
"""

from arena.envs.atari import make_atari_games


def make_env(games=("Pong",), num_copies=1):
    return make_atari_games(list(games), num_copies=num_copies)
