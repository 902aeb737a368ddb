"""GPU placement and wait modes: pure functions of the hosts, the roles and the GPUs per host."""

from __future__ import annotations

import pytest

from arena.plan.placement import HostInfo, assign_devices, gpu_count, oversubscribed_hosts, spinning_ranks
from arena.plan.roles import make_plan


def hosts_of(layout: list[tuple[str, int, int]]) -> list[HostInfo]:
    """One HostInfo per rank from (host, gpus, cores) runs: [("a", 2, 16)] * 4 is four ranks on host a."""
    return [HostInfo(host, gpus, tuple(range(cores))) for host, gpus, cores in layout]


def worker_ranks(match_list: list, world: int) -> list[int]:
    return [r.rank for r in make_plan(match_list, world, scale=True).roles if r.role == "worker"]


@pytest.mark.parametrize("gpus", [1, 2, 8])
def test_learners_spread_over_one_hosts_gpus_by_their_index_among_learners(gpus):
    # [[1]] puts an environment rank before every worker, so every worker has an even rank:
    # placing by rank would pile them onto GPU 0 of 2. By learner index they take GPUs in turn.
    hosts = hosts_of([("a", gpus, 16)] * 17)
    learners = worker_ranks([[1]], 17)
    assert learners == [2, 4, 6, 8, 10, 12, 14, 16]
    devices = assign_devices(hosts, learners)
    assert [devices[r] for r in learners] == [f"cuda:{i % gpus}" for i in range(8)]
    per_gpu = [sum(d == f"cuda:{g}" for d in devices.values()) for g in range(gpus)]
    assert max(per_gpu) - min(per_gpu) <= 1


def test_each_host_numbers_its_own_learners():
    # Two hosts of 8 ranks, 2 GPUs each; [[1, 2]] takes 3 ranks per copy, so copies straddle hosts.
    hosts = hosts_of([("a", 2, 8)] * 8 + [("b", 2, 8)] * 8)
    learners = worker_ranks([[1, 2]], 16)
    devices = assign_devices(hosts, learners)
    on_a = [devices[r] for r in learners if r < 8]
    on_b = [devices[r] for r in learners if r >= 8]
    assert on_a == [f"cuda:{i % 2}" for i in range(len(on_a))]
    assert on_b == [f"cuda:{i % 2}" for i in range(len(on_b))]


def test_hosts_without_gpus_get_the_cpu_and_a_requested_device_wins():
    hosts = hosts_of([("a", 0, 4)] * 4 + [("b", 4, 4)] * 4)
    devices = assign_devices(hosts, [1, 2, 5, 6, 7], requested={6: "cuda:3"})
    assert devices == {1: "cpu", 2: "cpu", 5: "cuda:0", 6: "cuda:3", 7: "cuda:2"}


def test_only_learners_get_a_device():
    hosts = hosts_of([("a", 2, 4)] * 4)
    assert assign_devices(hosts, []) == {}


def test_a_host_is_oversubscribed_when_its_busy_ranks_outnumber_its_cores():
    hosts = hosts_of([("a", 0, 2)] * 3 + [("b", 0, 4)] * 4)
    # Rank 0 idles during rounds: -n 3 on 2 cores gives each working rank a core.
    assert oversubscribed_hosts(hosts, [1, 2]) == set()
    assert oversubscribed_hosts(hosts, [0, 1, 2, 3, 4]) == {"a"}
    assert spinning_ranks(hosts, [1, 2, 3, 4, 5, 6]) == (1, 2, 3, 4, 5, 6)
    assert spinning_ranks(hosts, [0, 1, 2, 3]) == (3,)


def test_a_learner_with_two_threads_takes_two_cores_from_the_count():
    hosts = hosts_of([("a", 0, 2)] * 3)
    # -n 3 on 2 cores: the environment rank and a one-thread worker each have a core and may poll...
    assert spinning_ranks(hosts, [1, 2], threads={2: 1}) == (1, 2)
    # ...but a worker updating on two threads needs both, so the environment rank must sleep.
    assert oversubscribed_hosts(hosts, [1, 2], threads={2: 2}) == {"a"}
    assert spinning_ranks(hosts, [1, 2], threads={2: 2}) == ()


def test_ranks_bound_to_one_core_each_count_their_union():
    hosts = [HostInfo("a", 0, (i,)) for i in range(4)]
    assert oversubscribed_hosts(hosts, [0, 1, 2, 3]) == set()
    hosts = [HostInfo("a", 0, (0,)) for _ in range(4)]
    assert oversubscribed_hosts(hosts, [0, 1]) == {"a"}


def test_the_environment_variable_overrides_the_wait_choice():
    hosts = hosts_of([("a", 0, 1)] * 4)
    assert spinning_ranks(hosts, [1, 2, 3]) == ()
    assert spinning_ranks(hosts, [1, 2, 3], "spin") == (1, 2, 3)
    assert spinning_ranks(hosts_of([("a", 0, 8)] * 4), [1, 2, 3], "sleep") == ()
    with pytest.raises(ValueError, match="ARENA_WAITS"):
        spinning_ranks(hosts, [1], "fast")


def test_visible_gpus_follow_cuda_visible_devices(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,3")
    assert gpu_count() == 2
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert gpu_count() == 0
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1,-1,2")
    assert gpu_count() == 1
