"""A tournament of scripted Touchdown players whose strengths are known: python tournament_cases.py LOG_DIR GAMES.

Team 0 runs in the lane right of centre, team 1 in the lane left of it (each team's
"right"), so players in lanes never touch:
  - "runner": three steps right, then up every step: scores on step 12;
  - "stroller": three steps right, then up every other step: would score on step 20;
  - "still": never moves, never scores;
  - "random": uniform actions; scores rarely in 100 steps.
So runner beats everyone, stroller beats still and (mostly) random.
"""

import json
import sys

from arena import Policy, make_stem
from arena.envs import Touchdown

LOG, GAMES = sys.argv[1], int(sys.argv[2])
STAY, UP, RIGHT = 0, 1, 4


class Scripted(Policy):
    """Plays ``action(t)``, t counting steps from the start of each episode."""

    def action(self, t: int) -> int:
        raise NotImplementedError

    def run(self, num_steps, data_dir, policy_record=None):
        self.env.reset()
        t = 0
        for _ in range(num_steps):
            _, _, terminated, truncated, _ = self.env.step(self.action(t))
            t += 1
            if terminated or truncated:
                self.env.reset()
                t = 0


class Runner(Scripted):
    def action(self, t):
        return RIGHT if t < 3 else UP


class Stroller(Scripted):
    def action(self, t):
        return RIGHT if t < 3 else (UP if t % 2 else STAY)


class Still(Scripted):
    def action(self, t):
        return STAY


def make_env():
    return Touchdown()


arena = make_stem(make_env, LOG, additional_policies={"runner": Runner, "stroller": Stroller, "still": Still})
types = {1: "runner", 2: "stroller", 3: "still", 4: "random"}
result = arena.tournament([3, 1, 4, 2], types, GAMES, policy_kwargs={4: {"seed": 7}})
summary = {
    "ranking": result.ranking,
    "payoff": {str(a): {str(b): v for b, v in row.items()} for a, row in result.payoff.items()},
    "games": len(result.games),
}
with open(f"{LOG}/summary.json", "w") as f:
    json.dump(summary, f)
