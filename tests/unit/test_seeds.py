"""Seeds: one base seed repeats a run exactly on CPU, and every round draws new streams."""

from arena.plan.rounds import stream_seed


def test_streams_differ_by_round_kind_and_index_and_repeat_for_the_same_inputs():
    seeds = {stream_seed(0, r, kind, i) for r in range(3) for kind in ("env copy", "worker rank") for i in range(4)}
    assert len(seeds) == 24 and all(0 <= s < 2**31 for s in seeds)
    assert stream_seed(5, 1, "env copy", 2) == stream_seed(5, 1, "env copy", 2)
    assert stream_seed(5, 1, "env copy", 2, attempt=1) != stream_seed(5, 1, "env copy", 2)  # a resume draws anew
