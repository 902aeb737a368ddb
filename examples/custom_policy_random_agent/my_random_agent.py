"""A user-written policy: random actions, plus a count of the rewards it collected."""

import numpy as np

from arena import Policy
from arena.mpi.comm import allreduce_mean, size_of


class MyRandomAgent(Policy):
    """Takes random actions; any class with this constructor and run() can be a policy type."""

    def __init__(self, env, policy_comm, seed=None):
        super().__init__(env, policy_comm)
        self.env.action_space.seed(seed)

    def run(self, num_steps, data_dir, policy_record=None):
        """Play num_steps steps; the arena records every finished episode for us."""
        total_reward = 0.0
        self.env.reset()
        for step in range(1, num_steps + 1):
            _, reward, terminated, truncated, _ = self.env.step(self.env.action_space.sample())
            total_reward += reward
            if (terminated or truncated) and step < num_steps:
                self.env.reset()
        # Every worker of this policy (one per match copy) must take part in a collective.
        mean = allreduce_mean(np.array([total_reward]), self.comm)[0]
        if policy_record is not None:  # only the policy's root worker gets the record
            print(
                f"MyRandomAgent root worker: collected {total_reward:+.0f} reward in {num_steps} steps; "
                f"mean over {size_of(self.comm)} worker(s): {mean:+.1f}"
            )
