"""The rank plan is a pure function: no MPI here."""

import pytest

from arena.plan.roles import (
    ENV,
    UNUSED,
    WORKER,
    PlanError,
    count_needed_procs,
    format_plan,
    format_scaling_report,
    make_plan,
    match_steps,
    normalize_env_kwargs,
)


def test_count_needed_procs_counts_root_envs_and_entries():
    assert count_needed_procs([[1]]) == 3
    assert count_needed_procs([[1, 2]]) == 4
    assert count_needed_procs([[[1, 1, 1], [2, 2, 2]]]) == 4
    assert count_needed_procs([[1, 2], [2, 3], [3, 1]]) == 10


def test_tutorial_scaling_numbers():
    # Tutorial: mpiexec -n 15 with [[1]] gives 7 copies of Pong, ~714,000 steps each.
    assert match_steps([[1]], 5_000_000, world_size=15) == 714_285
    plan = make_plan([[1]], 15, scale=True)
    assert plan.copies_per_match == 7 and len(plan.matches) == 7 and plan.unused_ranks == []


def test_single_match_layout_and_unused_ranks():
    plan = make_plan([[1, 2]], 6)
    assert [r.role for r in plan.roles] == ["root", ENV, WORKER, WORKER, UNUSED, UNUSED]
    match = plan.matches[0]
    assert match.env_rank == 1
    assert [(w.rank, w.policy_id, w.entities, w.block) for w in match.workers] == [
        (2, 1, (0,), False),
        (3, 2, (1,), False),
    ]
    assert plan.policy_ranks() == {1: [2], 2: [3]}


def test_scale_fills_ranks_and_reports():
    plan = make_plan([[1, 2]], 15, scale=True)
    assert plan.copies_per_match == 4
    assert plan.unused_ranks == [13, 14]
    assert plan.policy_ranks() == {1: [2, 5, 8, 11], 2: [3, 6, 9, 12]}
    assert [m.copy_index for m in plan.matches] == [0, 1, 2, 3]
    report = format_scaling_report([[1, 2]], plan)
    assert "4 copies" in report and "2 unused" in report and "1 more rank" in report


def test_blocks_and_remaps():
    plan = make_plan([[[1, 1], 2, [3, 3]]], 5, entity_remaps=[[4, 2, 0, 1, 3]])
    workers = plan.matches[0].workers
    assert [(w.policy_id, w.entities, w.block) for w in workers] == [
        (1, (4, 2), True),
        (2, (0,), False),
        (3, (1, 3), True),
    ]
    assert plan.matches[0].num_entities == 5


def test_env_kwargs_apply_to_every_copy():
    plan = make_plan([[1, 2], [2, 1]], 15, scale=True, env_kwargs=[{"a": 1}, {"a": 2}])
    assert plan.copies_per_match == 2
    assert [m.env_kwargs["a"] for m in plan.matches] == [1, 2, 1, 2]
    assert normalize_env_kwargs([[1], [2]], {"x": 3}) == [{"x": 3}, {"x": 3}]


@pytest.mark.parametrize(
    "match_list, kwargs, message",
    [
        ([], {}, "non-empty list"),
        ([[]], {}, "non-empty list of entries"),
        ([[1, "2"]], {}, "an entry is a policy id"),
        ([[1, [2, 3]]], {}, "mixes policies"),
        ([[True]], {}, "an entry is a policy id"),
        ([[1, 2]], {"world_size": 3}, "at least 4 MPI ranks"),
        ([[1, 2]], {"entity_remaps": [[0]]}, "must list 2"),
        ([[1, 2]], {"entity_remaps": [[0, 0]]}, "names an entity twice"),
        ([[1, 2]], {"entity_remaps": [[0, 1], [1, 0]]}, "one remap per match"),
        ([[1, 2]], {"env_kwargs": [{}, {}]}, "one dict per match"),
        ([[1, 2]], {"env_kwargs": ["x"]}, "must be a dict"),
    ],
)
def test_bad_plans_raise_clear_errors(match_list, kwargs, message):
    world_size = kwargs.pop("world_size", 10)
    with pytest.raises(PlanError, match=message):
        make_plan(match_list, world_size, **kwargs)


def test_format_plan_has_a_row_per_rank():
    plan = make_plan([[1, [2, 2]]], 5)
    lines = format_plan(plan).splitlines()
    assert lines[0].split() == ["rank", "role", "match", "copy", "entities", "policy"]
    assert len(lines) == 1 + 5
    assert lines[4].split() == ["3", "worker", "0", "0", "1,2", "2"]
    assert lines[5].split()[1] == "unused"
