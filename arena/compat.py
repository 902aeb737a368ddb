"""What lets scripts written for arena5 run on the arena: every legacy rule lives here.

arena5's ``"ppo"`` took the keyword names of stable-baselines' PPO1. They are accepted
as aliases of the arena's PPOConfig names; each is mentioned once, naming its modern
keyword, and a name with no equivalent is refused with what to use instead.
"""

from __future__ import annotations

from typing import Any

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
    "clip_rewards": "the arena's PPO never clips rewards; clip them in the env (arena.wrappers.atari's "
    "wrap_deepmind does, with clip_rewards=True)",
    "use_lstm": "recurrent PPO is a policy type of its own, 'ppo-lstm', which this release does not have yet",
    "eval_mode": "play a trained policy with the policy type 'ppo-eval'",
    "external_saved_file": "play another policy's checkpoint with 'ppo-eval' and policy_kwargs {'source_policy': id}",
}
PPO1_IGNORED = {"verbose": "progress lines come every kickoff(progress_interval=...) seconds"}

_mentioned: set[str] = set()  # each alias is explained once per run


def _mention(name: str, text: str) -> None:
    if name not in _mentioned:
        _mentioned.add(name)
        print(f"[arena] arena5's PPO keyword {name!r}: {text}", flush=True)


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
