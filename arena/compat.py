"""What lets scripts written for arena5 run on the arena: every legacy rule lives here.

arena5's ``"ppo"`` took the keyword names of stable-baselines' PPO1. They are accepted
as aliases of the arena's PPOConfig names; each is mentioned once, naming its modern
keyword, and a name with no equivalent is refused with what to use instead. Its
off-policy learners (``"sac"``, ``"ddpg"``) took ``worker_replay_size``, accepted the same way.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from arena.algos.base import Policy, episode_over

# arena5 (PPO1) name -> the arena's PPO keyword, for names that mean the same thing.
PPO1_RENAMED = {
    "optim_stepsize": "learning_rate",
    "timesteps_per_actorbatch": "n_steps",
    "clip_param": "clip_coef",
    "entcoeff": "ent_coef",
    "optim_epochs": "n_epochs",
    "lam": "gae_lambda",
}
PPO1_SCHEDULES = {"linear": True, "constant": False}  # PPO1's schedule -> anneal_lr
PPO1_DEFAULT_BATCH = 128  # PPO1's timesteps_per_actorbatch default, to turn optim_batchsize into minibatches
PPO1_NO_EQUIVALENT = {
    "clip_rewards": "the arena's PPO never clips rewards; clip them in the env (arena.wrappers.deepmind's "
    "wrap_deepmind does, with clip_rewards=True)",
    "use_lstm": "recurrent PPO is a policy type of its own: 'ppo-lstm' (and 'ppo-lstm-eval' to play it frozen)",
    "eval_mode": "play a trained policy with the policy type 'ppo-eval'",
    "external_saved_file": "play another policy's checkpoint with 'ppo-eval' and policy_kwargs {'source_policy': id}",
}
PPO1_IGNORED = {"verbose": "progress lines come every kickoff(progress_interval=...) seconds"}

_mentioned: set[str] = set()  # each alias is explained once per run


def _mention(name: str, text: str, of: str = "PPO") -> None:
    if name not in _mentioned:
        _mentioned.add(name)
        print(f"[arena] arena5's {of} keyword {name!r}: {text}", flush=True)


def modern_ppo_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` with arena5's PPO1 names turned into the arena's; ValueError for a name with no equivalent."""
    out = {k: v for k, v in kwargs.items() if k not in PPO1_RENAMED and k not in PPO1_IGNORED}
    for old, new in PPO1_RENAMED.items():
        if old in kwargs:
            if new in kwargs:
                raise ValueError(f"give {new!r} or arena5's {old!r}, not both")
            _mention(old, f"is {new!r} here")
            out[new] = kwargs[old]
    for old, why in PPO1_IGNORED.items():
        if old in kwargs:
            _mention(old, f"ignored: {why}")
    if "schedule" in out:
        schedule = out.pop("schedule")
        if schedule not in PPO1_SCHEDULES:
            raise ValueError(f"arena5's PPO schedule {schedule!r} has no equivalent here; use 'linear' or 'constant'")
        _mention("schedule", f"{schedule!r} is anneal_lr={PPO1_SCHEDULES[schedule]} here")
        out["anneal_lr"] = PPO1_SCHEDULES[schedule]
    if "optim_batchsize" in out:
        batch = int(out.pop("optim_batchsize"))
        rollout = int(out.get("n_steps", PPO1_DEFAULT_BATCH))
        out["n_minibatches"] = max(1, rollout // max(1, batch))
        _mention("optim_batchsize", f"becomes n_minibatches = rollout / batch size = {out['n_minibatches']} here")
    for old, instead in PPO1_NO_EQUIVALENT.items():
        if old in out:
            raise ValueError(f"arena5's PPO keyword {old!r} has no equivalent here: {instead}")
    return out


# arena5's SAC, DDPG, MADDPG and MASAC took two keywords of their own.
OFFPOLICY_NO_EQUIVALENT = {
    "eval_mode": "play a trained policy frozen with the policy type 'sac-eval', 'td3-eval' or 'ddpg-eval'",
}


def modern_offpolicy_kwargs(kwargs: dict[str, Any], workers: int) -> dict[str, Any]:
    """arena5's ``worker_replay_size`` (each worker's replay) as ``replay_size`` (the policy's, over ``workers``)."""
    out = dict(kwargs)
    if "worker_replay_size" in out:
        if "replay_size" in out:
            raise ValueError("give 'replay_size' (the policy's) or arena5's 'worker_replay_size', not both")
        out["replay_size"] = int(out.pop("worker_replay_size")) * workers
        text = f"is replay_size = {out['replay_size']:,} over {workers} worker(s) here"
        _mention("worker_replay_size", text, of="SAC")
    for old, instead in OFFPOLICY_NO_EQUIVALENT.items():
        if old in out:
            raise ValueError(f"arena5's keyword {old!r} has no equivalent here: {instead}")
    return out


def modern_kwargs(arena5_keywords: str | None, kwargs: dict[str, Any], workers: int) -> dict[str, Any]:
    """``kwargs`` with the arena5 names that a class declares it takes (``Policy.arena5_keywords``) made modern."""
    if arena5_keywords == "ppo1":
        return modern_ppo_kwargs(kwargs)
    if arena5_keywords == "offpolicy":
        return modern_offpolicy_kwargs(kwargs, workers)
    return kwargs


# ----------------------------------------------------------------- policies


def is_arena5_policy(policy_class: Any) -> bool:
    """True for a policy written for arena5: a plain class or a factory, not a subclass of ``arena.Policy``.

    Such a policy sees arena5's env (``reset() -> obs``, ``step(a) -> (obs, reward, done, info)``)
    and is asked for every worker's steps at once, as arena5 did. A plain class written for the
    arena's Gymnasium API says so with a class attribute ``gymnasium_api = True``.
    """
    if isinstance(policy_class, type) and issubclass(policy_class, Policy):
        return False
    return not getattr(policy_class, "gymnasium_api", False)


class Arena5Env:
    """A worker's env in arena5's form: ``reset()`` returns the observations, ``step`` a 4-tuple."""

    def __init__(self, env: Any):
        self.env = env
        self.is_multiagent = hasattr(env, "action_spaces")  # arena5's flag: a block of entities
        for name in ("observation_space", "action_space", "observation_spaces", "action_spaces"):
            if hasattr(env, name):
                setattr(self, name, getattr(env, name))

    def seed(self, seed: int | None = None) -> None:
        """Nothing: the environment rank seeds the match (arena5's proxy did the same)."""

    def reset(self, **kwargs: Any) -> Any:
        """The first observations of an episode (one per entity for a block)."""
        obs, _ = self.env.reset()
        return obs

    def step(self, action: Any) -> tuple[Any, Any, bool, Any]:
        """``(obs, reward, done, info)``; for a block, lists per entity and one ``done`` for the match."""
        if self.is_multiagent:
            action = [shaped_action(a, space) for a, space in zip(action, self.action_spaces)]
        else:
            action = shaped_action(action, self.action_space)
        obs, reward, terminated, truncated, info = self.env.step(action)
        return obs, reward, episode_over(terminated, truncated), info

    def close(self) -> None:
        """Leave the match."""
        self.env.close()


def shaped_action(action: Any, space: Any) -> Any:
    """An arena5 policy's action in its space's shape: arena5 squeezed away batch axes such as ``(1, 2)``."""
    array = np.asarray(action)
    shape = getattr(space, "shape", None)
    if shape is None or array.shape == shape or array.size != int(np.prod(shape, dtype=np.int64)):
        return action
    return array.reshape(shape)


class PlainPolicy(Policy):
    """A policy object that is no ``arena.Policy`` subclass, seen through the contract: its ``run`` and ``save``."""

    def __init__(self, policy: Any, workers: int = 1):
        self.policy, self.workers = policy, workers

    def run(self, num_steps: int, data_dir: str, policy_record: Any = None) -> None:
        """The wrapped policy's ``run``."""
        self.policy.run(num_steps, data_dir, policy_record)

    def save(self) -> None:
        """The wrapped policy's own ``save()``, if it has one."""
        save = getattr(self.policy, "save", None)
        if callable(save):
            save()


def as_policy(policy: Any, legacy: bool, workers: int) -> Policy:
    """``policy`` as a ``Policy``: itself if it is one, else wrapped (``legacy``: arena5's, with arena5's steps)."""
    if legacy:
        return Arena5Policy(policy, workers)
    return policy if isinstance(policy, Policy) else PlainPolicy(policy, workers)


class Arena5Policy(PlainPolicy):
    """Runs an arena5 policy as the arena does every policy: ``run(steps)`` with this worker's steps.

    arena5 asked every worker for all its policy's steps (each divided them by its
    ``policy_comm`` size) and gave directories ending in a separator (its policies join
    names to them with ``+``).
    """

    def run(self, num_steps: int, data_dir: str, policy_record: Any = None) -> None:
        """Run the arena5 policy for ``num_steps`` steps of this worker."""
        directory = os.path.join(data_dir, "")
        if policy_record is not None:
            policy_record.data_dir = directory
            self.policy.run(num_steps * self.workers, directory, policy_record)
        else:
            self.policy.run(num_steps * self.workers, directory)


# ------------------------------------------------------------- environments


def split_reset(result: Any, n: int) -> tuple[Any, Any, bool]:
    """``(obs, infos, legacy)`` from what ``reset()`` returned: arena5 envs return only the observations."""
    if (
        isinstance(result, tuple)
        and len(result) == 2
        and isinstance(result[1], (list, tuple, dict))
        and (isinstance(result[1], dict) or all(isinstance(i, dict) for i in result[1]))
        and len(result[0]) == n
    ):
        return result[0], result[1], False
    return result, None, True


def four_tuple_flags(done: Any, infos: list[dict]) -> tuple[list[bool], list[bool]]:
    """arena5's ``done`` as Gymnasium's ``(terminated, truncated)``, per entity; a time limit says so in its infos."""
    truncated = [bool(i.get("TimeLimit.truncated", False)) for i in infos]
    done = np.asarray(done, dtype=bool).reshape(-1)
    done = np.repeat(done, len(infos)) if done.size == 1 else done
    return [bool(d) and not t for d, t in zip(done, truncated)], truncated


def arena5_action(action: Any) -> list:
    """An action as arena5 handed it to an env: a 1-D list (a Discrete 3 arrives as ``[3]``)."""
    return np.atleast_1d(np.squeeze(np.asarray(action))).tolist()
