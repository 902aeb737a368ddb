"""Make the pictures the docs use, from the code itself.

    python docs/diagrams/make_diagrams.py                  # rank_layout.png (instant)
    python docs/diagrams/make_diagrams.py touchdown        # runs examples/touchdown at -n 4 (about 3 minutes)
    python docs/diagrams/make_diagrams.py pongs [STEPS]    # examples/pong_batched at -n 15, a game a rank, render on
    python docs/diagrams/make_diagrams.py round_robin      # runs examples/round_robin_with_parameters at -n 10
    python docs/diagrams/make_diagrams.py memory_cartpole  # runs examples/memory_cartpole at -n 5
    python docs/diagrams/make_diagrams.py touchdown_sac    # runs examples/touchdown_sac at -n 4
    python docs/diagrams/make_diagrams.py selfplay         # examples/pong_selfplay at -n 7 (about an hour)
    python docs/diagrams/make_diagrams.py connect_four     # examples/connect_four at -n 7 (about 50 minutes)
    python docs/diagrams/make_diagrams.py league           # examples/league at -n 19, 6 rounds (about 27 minutes)
    python docs/diagrams/make_diagrams.py many_games       # examples/many_games at -n 5, its defaults

The runs happen in a scratch copy of the example, with the venv's mpiexec.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from arena.plan.roles import ENV, ROOT, WORKER, make_plan

HERE = os.path.dirname(os.path.abspath(__file__))
COLORS = {ROOT: "#444444", ENV: "#2e7d32", WORKER: "#1565c0", "unused": "#bdbdbd"}


def draw_rank_layout(match_list: list, world_size: int, filename: str) -> None:
    """One box per rank, colored by role, labelled with match copy, entities and policy."""
    plan = make_plan(match_list, world_size, scale=True)
    fig = Figure(figsize=(1.1 * world_size, 2.6), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for role in plan.roles:
        x = role.rank
        ax.add_patch(FancyBboxPatch((x + 0.05, 0.1), 0.9, 0.8, boxstyle="round,pad=0.02", color=COLORS[role.role]))
        if role.role == ENV:
            label = f"env\nmatch {role.match.match_index}\ncopy {role.match.copy_index}"
        elif role.role == WORKER:
            label = f"policy {role.worker.policy_id}\nentity {','.join(map(str, role.worker.entities))}"
        else:
            label = role.role
        ax.text(x + 0.5, 0.5, label, ha="center", va="center", color="white", fontsize=8)
        ax.text(x + 0.5, -0.1, f"rank {role.rank}", ha="center", va="center", fontsize=8)
    ax.set_xlim(0, world_size)
    ax.set_ylim(-0.3, 1.0)
    ax.axis("off")
    ax.set_title(f"match_list={match_list}, mpiexec -n {world_size}, scale=True")
    fig.tight_layout()
    fig.savefig(filename)


def run_example(name: str, ranks: int, env: dict, pictures: dict[str, str]) -> None:
    """Run ``examples/<name>`` in a scratch copy, then copy ``pictures`` (log path -> diagram name) here."""
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    with tempfile.TemporaryDirectory() as tmp:
        work = os.path.join(tmp, name)
        shutil.copytree(
            os.path.join(HERE, "..", "..", "examples", name), work, ignore=shutil.ignore_patterns("log_comms")
        )
        cmd = [mpiexec if os.path.exists(mpiexec) else "mpiexec", "-n", str(ranks), sys.executable, "my_main_script.py"]
        subprocess.run(cmd, cwd=work, env={**os.environ, **env}, check=True)
        for source, target in pictures.items():
            shutil.copy(os.path.join(work, "log_comms", source), os.path.join(HERE, target))
            print("wrote", os.path.join(HERE, target))


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "rank_layout"
    if which == "rank_layout":
        draw_rank_layout([[1, 2]], 15, os.path.join(HERE, "rank_layout.png"))
        print("wrote", os.path.join(HERE, "rank_layout.png"))
    elif which == "touchdown":
        run_example("touchdown", 4, {}, {"all_policies.png": "touchdown_ppo_vs_random.png"})
    elif which == "pongs":
        steps = sys.argv[2] if len(sys.argv) > 2 else "40000"
        pictures = {"render/mosaic.png": "pongs.png", "policy_1/curve_steps.png": "pong_learning_curve.png"}
        run_example("pong_batched", 15, {"ARENA_TOTAL_STEPS": steps, "ARENA_RENDER": "1", "ARENA_GAMES": "0"}, pictures)
    elif which == "memory_cartpole":  # its defaults: 100,000 steps, ppo-lstm beside ppo
        run_example("memory_cartpole", 5, {}, {"all_policies.png": "memory_cartpole_lstm_vs_ppo.png"})
    elif which == "touchdown_sac":  # its defaults: 30,000 steps, SAC against random
        run_example("touchdown_sac", 4, {}, {"all_policies.png": "touchdown_sac_vs_random.png"})
    elif which == "round_robin":
        run_example("round_robin_with_parameters", 10, {}, {"round_robin.png": "round_robin.png"})
    elif which == "selfplay_mosaic":
        small = {"ARENA_ROUNDS": "1", "ARENA_TOTAL_STEPS": "800", "ARENA_MAX_CYCLES": "2000", "ARENA_RENDER": "1"}
        run_example(
            "pong_selfplay", 7, small | {"ARENA_TOURNAMENT_GAMES": "1"}, {"render/mosaic.png": "selfplay_pongs.png"}
        )
    elif which == "selfplay":  # the README's run: 10 rounds of 100,000 steps, then the tournament
        run_example("pong_selfplay", 7, {}, {"tournament/payoff.png": "selfplay_payoff.png"})
    elif which == "connect_four":  # the README's run: 5 rounds of 200,000 moves, then the tournament
        pictures = {"tournament/payoff.png": "connect_four_payoff.png", "all_policies.png": "connect_four_curves.png"}
        run_example("connect_four", 7, {}, pictures)
    elif which == "league":  # the README's League section: 6 rounds on Connect Four, rated every 2
        pictures = {"league/ratings.png": "league_ratings.png", "league/ratings.csv": "league_ratings.csv"}
        pictures |= {"league/members.csv": "league_members.csv", "league/matches.csv": "league_matches.csv"}
        pictures |= {"league/tournament/payoff.csv": "league_payoff.csv"}
        run_example("league", 19, {"ARENA_ROUNDS": "6", "ARENA_RATE_EVERY": "2"}, pictures)
    elif which == "many_games":  # the README's run: one PPO policy, 8 games, 1M steps, with the mosaic
        pictures = {
            "policy_1/curves_by_label.png": "many_games_curves.png",
            "policy_1/scores_by_label.csv": "many_games_scores.csv",
            "render/mosaic.png": "many_games_mosaic.png",
        }
        run_example("many_games", 5, {"ARENA_RENDER": "1"}, pictures)
    else:
        sys.exit(
            f"unknown picture set {which!r}; choose rank_layout, touchdown, pongs, memory_cartpole, touchdown_sac, "
            "round_robin, selfplay_mosaic, selfplay, connect_four, league or many_games"
        )
