"""Learning-curve plots with matplotlib's object API, so no display is ever needed."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from arena.report.mosaic import grid_shape
from arena.report.scores import ATARI_REFERENCE_SCORES, game_of_label, label_scores, write_table
from arena.storage.files import atomic_path
from arena.storage.records import PolicyRecord


def new_figure(width: float, height: float) -> Any:
    """A matplotlib Figure on the Agg canvas (no display). matplotlib loads here, on the ranks that draw."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def rolling_mean(values: Sequence[float], window: int) -> np.ndarray:
    """Mean of the last ``window`` values at each point (fewer at the start)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return values
    cums = np.cumsum(np.insert(values, 0, 0.0))
    idx = np.arange(1, values.size + 1)
    lo = np.maximum(0, idx - max(1, int(window)))
    return (cums[idx] - cums[lo]) / (idx - lo)


MAX_POINTS = 4000  # per line: a screen shows no more, and 100k-point lines take seconds to draw


def thin(xs: np.ndarray, ys: np.ndarray, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Every k-th point (and the last), so that at most about ``max_points`` remain."""
    step = max(1, -(-len(xs) // max_points))
    if step == 1:
        return xs, ys
    keep = np.unique(np.append(np.arange(0, len(xs), step), len(xs) - 1))
    return xs[keep], ys[keep]


def plot_policy_records(
    records: Sequence[PolicyRecord],
    windows: Sequence[int],
    alphas: Sequence[float],
    filename: str,
    colors: Sequence[str] | None = None,
    offsets: Sequence[int] | None = None,
    x: str = "steps",
    title: str | None = None,
    episodic: bool = False,
) -> str:
    """Draw rolling mean returns of several policies, one line per window, into ``filename``.

    ``offsets`` shifts each record's steps (arena5's evolution plots start a forked policy
    where its parent's round began); ``episodic=True`` is arena5's spelling of ``x="episodes"``.
    """
    if len(windows) != len(alphas):
        raise ValueError("give one alpha per window")
    if offsets is not None and len(offsets) != len(records):
        raise ValueError(f"give one offset per record: {len(offsets)} offsets for {len(records)} records")
    x = "episodes" if episodic else x
    fig = new_figure(8, 5)
    ax = fig.add_subplot(1, 1, 1)
    for i, record in enumerate(records):
        color = (colors[i] if colors else None) or record.plot_color or f"C{i % 10}"
        shift = offsets[i] if offsets is not None else 0
        xs = np.asarray(record.ep_cumlens) if x == "steps" else np.arange(1, len(record.episodes) + 1)
        xs = xs + shift
        for window, alpha in zip(windows, alphas):
            label = f"policy {record.policy_id}" if window == windows[-1] else None
            ax.plot(*thin(xs, rolling_mean(record.ep_results, window)), color=color, alpha=alpha, label=label)
    ax.set_xlabel("environment steps" if x == "steps" else "episodes")
    ax.set_ylabel(f"episode return (rolling mean, window {', '.join(str(w) for w in windows)})")
    ax.set_title(title or "learning curves")
    ax.grid(alpha=0.3)
    if records:
        ax.legend(loc="best")
    # Fixed margins that fit these labels: tight_layout would draw the figure twice, once to measure it.
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.1, top=0.93)
    os.makedirs(os.path.dirname(os.path.abspath(filename)), exist_ok=True)
    with atomic_path(filename) as tmp:
        fig.savefig(tmp)
    return filename


def plot_record(record: PolicyRecord, windows: Sequence[int] = (1, 100), alphas: Sequence[float] = (0.25, 1.0)) -> None:
    """Write a policy's curves against steps and against episodes into its folder.

    A policy whose episodes carry labels (many games) also gets ``curves_by_label.png``
    and ``scores_by_label.csv`` (see ``arena.report.scores``).
    """
    for x in ("steps", "episodes"):
        path = os.path.join(record.data_dir, f"curve_{x}.png")
        plot_policy_records([record], windows, alphas, path, x=x, title=f"policy {record.policy_id}")
    if record.label_names():
        plot_labels(record, os.path.join(record.data_dir, LABEL_CURVES_FILE))
        write_table(label_scores(record.ep_labels, record.ep_results), record.data_dir)


LABEL_CURVES_FILE = "curves_by_label.png"


def plot_labels(record: PolicyRecord, filename: str, window: int = 20) -> str:
    """A grid with one panel per label: that label's episode returns against the policy's steps."""
    labels = record.label_names()
    rows, cols = grid_shape(len(labels))
    fig = new_figure(3.2 * cols, 2.4 * rows + 0.4)
    steps, returns = np.asarray(record.ep_cumlens), np.asarray(record.ep_results)
    in_label = np.asarray(record.ep_labels)
    color = record.plot_color or "C0"
    for i, label in enumerate(labels):
        ax = fig.add_subplot(rows, cols, i + 1)
        mask = in_label == label
        xs, ys = steps[mask], returns[mask]
        ax.plot(*thin(xs, ys), color=color, alpha=0.25, linewidth=0.8)
        ax.plot(*thin(xs, rolling_mean(ys, window)), color=color)
        game = game_of_label(label)
        if game is not None:  # the random agent's score of the DQN papers: learning is what rises above it
            ax.axhline(ATARI_REFERENCE_SCORES[game][0], color="gray", linestyle="--", linewidth=0.8)
        ax.set_title(f"{label} ({mask.sum()} episodes)", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        from matplotlib.ticker import EngFormatter, MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.xaxis.set_major_formatter(EngFormatter(sep=""))  # 250k, 1M: small panels have room for little
    dashed = "; dashed: a random agent's score" if any(game_of_label(label) for label in labels) else ""
    fig.suptitle(f"policy {record.policy_id}: return per label against its steps (rolling mean of {window}){dashed}")
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(filename)), exist_ok=True)
    with atomic_path(filename) as tmp:
        fig.savefig(tmp)
    return filename


def plot_payoff(matrix: np.ndarray, players: Sequence[int], filename: str, title: str = "tournament payoff") -> str:
    """A heatmap of a tournament's payoff matrix: row player's mean score against the column player."""
    n = len(players)
    fig = new_figure(1.6 + 0.75 * n, 1.2 + 0.65 * n)
    ax = fig.add_subplot(1, 1, 1)
    finite = np.abs(matrix[np.isfinite(matrix)])
    limit = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    image = ax.imshow(np.ma.masked_invalid(matrix), cmap="RdBu", vmin=-limit, vmax=limit)
    for i in range(n):
        for j in range(n):
            if np.isfinite(matrix[i, j]):
                ax.text(j, i, f"{matrix[i, j]:+.2f}", ha="center", va="center", fontsize=8)
    ax.set_xticks(range(n), [str(p) for p in players])
    ax.set_yticks(range(n), [str(p) for p in players])
    ax.set_xlabel("opponent (column player)")
    ax.set_ylabel("player (row)")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label="mean score of the row player")
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(filename)), exist_ok=True)
    with atomic_path(filename) as tmp:
        fig.savefig(tmp)
    return filename


ROLE_COLORS = {"main": "tab:blue", "main_exploiter": "tab:red", "league_exploiter": "tab:green", "anchor": "0.4"}


def plot_ratings_over_rounds(
    rows: Sequence[tuple[int, int, float]],
    roles: dict[int, tuple[str, bool]],
    filename: str,
    title: str = "league ratings",
) -> str:
    """Each member's rating (ordinal: mu - 3 sigma) against the round it was rated at, colored by role.

    ``roles[member]`` is ``(role, frozen)``. Learners draw thick, frozen snapshots thin and anchors
    dashed; each line ends with its member's id, since a role's snapshots share its color.
    """
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    fig = new_figure(8, 4.5)
    ax = fig.add_subplot(1, 1, 1)
    for member in sorted({member for _, member, _ in rows}):
        points = sorted((r, value) for r, m, value in rows if m == member)
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        role, frozen = roles.get(member, ("", False))
        color = ROLE_COLORS.get(role, "black")
        width = 1.0 if frozen or role == "anchor" else 2.5
        ax.plot(xs, ys, "--" if role == "anchor" else "-", color=color, lw=width, marker="o", markersize=3)
        ax.annotate(str(member), (xs[-1], ys[-1]), xytext=(4, 0), textcoords="offset points", fontsize=7, va="center")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("round")
    ax.set_ylabel("rating (ordinal: mu - 3 sigma)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    present = [role for role in ROLE_COLORS if any(r == role for r, _ in roles.values())]
    handles = [Line2D([], [], color=ROLE_COLORS[r], ls="--" if r == "anchor" else "-") for r in present]
    handles += [Line2D([], [], color="black", lw=2.5), Line2D([], [], color="black", lw=1.0)]
    labels = [r.replace("_", " ") for r in present] + ["learning", "frozen snapshot"]
    ax.legend(handles, labels, fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(filename)), exist_ok=True)
    with atomic_path(filename) as tmp:
        fig.savefig(tmp)
    return filename
