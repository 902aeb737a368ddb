"""PPO learners that fail on cue, for fault_cases.py and rerun_cases.py.

The scripts register them by name (``"faulty_learners:SlowPeerPPO"``), so that only the
ranks that play them import torch, and pass their cue through the environment:
``FAULT_CUE_DIR`` (where SlowPeerPPO's root says it is about to wait), ``RERUN_KILL_AT``
and ``HOME_CASES_STALL_AT``.
"""

import os
import signal
import time

from arena.algos.ppo import PPO


class SlowPeerPPO(PPO):
    """PPO whose non-root worker stalls in its third update, so the root waits inside a gradient Allreduce."""

    def minibatch_step(self, mb, samples, stats):
        if not self.is_root and self.updates >= 2:
            time.sleep(600)
        if self.is_root and self.updates >= 2:  # the test's cue: the root is about to wait in the Allreduce
            with open(os.path.join(os.environ["FAULT_CUE_DIR"], "root_averaging"), "w") as f:
                f.write(str(self.updates))
        return super().minibatch_step(mb, samples, stats)


class KillablePPO(PPO):
    """PPO whose second worker dies once the policy reaches ``RERUN_KILL_AT`` steps (never without it)."""

    def collect_rollout(self, obs, T, is_last):
        kill_at = os.environ.get("RERUN_KILL_AT")
        if kill_at is not None and not self.is_root and self.global_step >= int(kill_at):
            os.kill(os.getpid(), signal.SIGKILL)
        return super().collect_rollout(obs, T, is_last)


class StallingPPO(PPO):
    """PPO that stops for good once the checkpoint of update ``HOME_CASES_STALL_AT`` has left for rank 0."""

    def save_checkpoint(self):
        super().save_checkpoint()
        if self.updates >= int(os.environ["HOME_CASES_STALL_AT"]):
            self.record.link.flush()  # the checkpoint has left for rank 0: the test sees it there, then kills
            time.sleep(1e6)
