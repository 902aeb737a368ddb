"""What the benchmarks' match scripts share."""

from __future__ import annotations

import json


def write_summary(result: dict, path: str) -> None:
    """Write a kickoff result's per-rank summaries, each with its rank and role, as JSON for the benchmark."""
    roles = {r.rank: r.role for r in result["plan"].roles}
    ranks = [{"rank": rank, "role": roles[rank], **summary} for rank, summary in sorted(result["ranks"].items())]
    with open(path, "w") as f:
        json.dump({"seconds": result["seconds"], "ranks": ranks}, f)
