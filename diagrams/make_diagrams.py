"""Draw the pictures the docs use, from the code itself: python diagrams/make_diagrams.py."""

from __future__ import annotations

import os

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from arena.core.plan import ENV, ROOT, WORKER, make_plan

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


if __name__ == "__main__":
    draw_rank_layout([[1, 2]], 15, os.path.join(HERE, "rank_layout.png"))
    print("wrote", os.path.join(HERE, "rank_layout.png"))
