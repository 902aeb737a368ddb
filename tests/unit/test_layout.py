"""The package tree shows the architecture: layers that depend one way, no import cycles, small files.

Every import of an arena module counts, also inside functions and under ``TYPE_CHECKING``.
A module may import its own layer or layers below it; ``LAYERS`` lists them bottom-up, each
a set of module prefixes (a module belongs to its longest matching prefix).
"""

from __future__ import annotations

import ast
import importlib
import os
from collections import defaultdict

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "arena")

LAYERS = [
    {"arena.settings"},  # every ARENA_* setting: the example scripts' flags and the arena's variables
    {"arena.mpi"},  # transport: every MPI call and the message protocol
    {"arena.plan"},  # pure planning: roles, placement, round settings
    {"arena.storage"},  # records, files, metrics, journal, rank 0's file service
    {"arena.report"},  # curves, score tables, the mosaic
    {"arena.wrappers"},  # env wrappers
    {"arena.algos.base"},  # the policy contract
    {"arena.compat"},  # the arena5 rules
    {"arena.envs"},  # the env contract, batches, checks, the games
    {"arena.evaluation.pipe", "arena.evaluation.summary", "arena.evaluation.schedule"},  # the learner's side
    {"arena.algos"},  # the learners
    {"arena.evaluation"},  # the child process and its games
    {"arena.ranks.memory", "arena.ranks.signals"},
    {"arena.ranks.env", "arena.ranks.worker"},  # the roles of ranks 1..n-1
    {"arena.ranks.root"},  # rank 0: kickoff
    {"arena.tournament"},  # built on kickoff
    {"arena.ranks.serve"},  # make_stem: every rank's entry
    {"arena.league"},  # league training: rounds of kickoffs and tournaments, from rank 0's script
    {"arena", "arena.core", "arena.evaluate", "arena.env_check"},  # entry points and arena5's paths
]
MAX_FILE_LINES = 450
MAX_FUNCTION_LINES = 80


def modules() -> dict[str, str]:
    """Module name -> file, for every module of the package."""
    out = {}
    for folder, _, files in os.walk(ROOT):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                parts = os.path.relpath(path, os.path.dirname(ROOT))[:-3].split(os.sep)
                out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imported(node: ast.AST, module: str, is_package: bool, known: dict) -> list[str]:
    """The arena modules an import statement names (``from a import b`` names a.b where that is a module)."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:
            parts = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
            base = ".".join(parts + ([base] if base else []))
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
    out = []
    for name in names:
        while name not in known and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in known and name.startswith("arena"):
            out.append(name)
    return out


def import_graph() -> dict[str, set[str]]:
    """Module -> the arena modules it imports, anywhere in its file."""
    known, graph = modules(), defaultdict(set)
    for module, path in known.items():
        with open(path) as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                graph[module] |= set(imported(node, module, path.endswith("__init__.py"), known)) - {module}
    return graph


def layer_of(module: str) -> int:
    """The index of the module's layer: its longest matching prefix decides."""
    best, index = "", None
    for i, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
                best, index = prefix, i
    assert index is not None, f"{module} is in no layer; add it to LAYERS"
    return index


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(modules()):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_imports_run_down_the_layers():
    wrong = [
        f"{m} (layer {layer_of(m)}) imports {d} (layer {layer_of(d)})"
        for m, deps in sorted(import_graph().items())
        for d in sorted(deps)
        if layer_of(d) > layer_of(m)
    ]
    assert wrong == []


def test_the_checker_finds_a_cycle():
    graph = {m: set() for m in modules()}
    first, second = sorted(graph)[:2]
    graph[first], graph[second] = {second}, {first}
    assert cycles(graph) == [sorted([first, second])]


def test_files_and_functions_stay_small():
    too_long = []
    for module, path in modules().items():
        with open(path) as f:
            text = f.read()
        if text.count("\n") > MAX_FILE_LINES:
            too_long.append(f"{module}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    too_long.append(f"{module}.{node.name}: {lines} lines")
    assert too_long == []


@pytest.mark.parametrize(
    "path",
    [
        "arena.core.stems",
        "arena.core.utils",
        "arena.core.policy_record",
        "arena.core.plot_utils",
        "arena.wrappers.single_agent_wrappers",
        "arena.wrappers.atari",
    ],
)
def test_the_tutorials_import_paths_work(path):
    module = importlib.import_module(path)
    assert module.__all__ and all(hasattr(module, name) for name in module.__all__)


def test_the_architecture_note_names_every_layer():
    with open(os.path.join(ROOT, "..", "ARCHITECTURE.md")) as f:
        note = f.read()
    missing = [p for layer in LAYERS for p in layer if p.removeprefix("arena.").split(".")[0] not in note]
    assert missing == []
