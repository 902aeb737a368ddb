"""The docs stay true: the site builds strictly, code compiles, names and paths exist, figures name their source."""

from __future__ import annotations

import ast
import glob
import importlib
import inspect
import os
import re
import shutil
import subprocess
import sys

import pytest
from helpers import REPO, hang_guard

from arena.envs.check_env import check_env
from arena.ranks.root.kickoff import Root
from arena.settings import ARENA_VARIABLES, SCRIPT_SETTINGS, TEST_VARIABLES, variable_of

DOCS = os.path.join(REPO, "docs")
PAGES = sorted(glob.glob(os.path.join(DOCS, "**", "*.md"), recursive=True)) + [os.path.join(REPO, "README.md")]
SNIPPET = re.compile(r'^--8<-- "(.+?)"$', re.M)
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
# A path in the repository, as the docs name them: examples/touchdown, benchmarks/learning.py, ...
REPO_PATH = re.compile(r"(?<![\w/.-])((?:examples|benchmarks|tests|arena|docs)/[\w./-]*\w)")
MEASURED = re.compile(r"\d[\d,.]* (?:agent |joint )?steps/s")
# What names a measurement's source: a benchmark, an example or test, a picture's maker, or the
# arena's own output lines quoted from the run.
SOURCES = ("benchmarks/", "examples/", "tests/", "make_diagrams", "learning_report", "mpiexec -n", "[arena] ")


def text_of(path: str) -> str:
    """A page's markdown with its snippets (``--8<-- "FILE"``) expanded, as the site shows it."""
    with open(path) as f:
        text = f.read()
    return SNIPPET.sub(lambda m: open(os.path.join(REPO, m.group(1))).read(), text)


def blocks(language: str) -> list[tuple[str, str]]:
    """(page, code) for every fenced block of ``language`` in the docs and the README (a session: its input)."""
    out = []
    for page in PAGES:
        for lang, code in FENCE.findall(text_of(page)):
            if code.startswith(">>> "):
                code = "\n".join(line[4:] for line in code.splitlines() if line.startswith((">>> ", "... ")))
            if lang == language:
                out.append((page, code))
    return out


def short(path: str) -> str:
    """A page's path from the repository root."""
    return os.path.relpath(path, REPO)


def test_the_readme_fits_on_a_few_screens_with_the_two_commands_first():
    with open(os.path.join(REPO, "README.md")) as f:
        lines = f.read().splitlines()
    assert len(lines) <= 250
    commands = [code for lang, code in FENCE.findall("\n".join(lines[:20])) if lang == "bash"]
    assert "mpiexec" in commands[0] and "pytest" in commands[1]
    with open(os.path.join(REPO, ".ci", "run")) as f:
        assert commands[1].strip().split("&& ", 1)[1] in f.read()  # CI runs the README's test command


PYTHON_BLOCKS = blocks("python")


@pytest.mark.parametrize("page,code", PYTHON_BLOCKS, ids=[f"{short(p)}:{i}" for i, (p, _) in enumerate(PYTHON_BLOCKS)])
def test_every_python_block_compiles_and_its_arena_imports_exist(page, code):
    tree = ast.parse(code, filename=page)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "arena":
            module = importlib.import_module(node.module)
            for alias in node.names:
                if alias.name != "*":
                    assert hasattr(module, alias.name), f"{short(page)}: {node.module} has no {alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "arena":
                    importlib.import_module(alias.name)


def test_the_complete_env_of_the_custom_guide_passes_the_checker(tmp_path):
    guide = text_of(os.path.join(DOCS, "guides", "custom.md"))
    code = re.search(r"<!-- checked env: .*? -->\n```python\n(.*?)```", guide, re.S).group(1)
    (tmp_path / "make_env.py").write_text(code)
    report = check_env(str(tmp_path / "make_env.py"), rounds=5)
    assert report.ok, str(report)
    assert "200 random steps: 40 episodes ended, mean length 5.0" in str(report)  # as the guide shows it


def test_every_path_the_docs_name_exists():
    missing = []
    for page in PAGES:
        text = text_of(page)
        # A path that goes on with a placeholder (docs/diagrams/learning_<recipe>.png) names a pattern, not a file.
        paths = {m.group(1) for m in REPO_PATH.finditer(text) if text[m.end() : m.end() + 1] not in ("<", "{", "*")}
        for path in paths:
            module_file = path.rsplit(".", 1)[0] + ".py"  # tests/helpers.run_mpi names a function of a file
            if not any(os.path.exists(os.path.join(REPO, p)) for p in (path, path + ".py", module_file)):
                missing.append(f"{short(page)}: {path}")
    assert not missing, "\n".join(missing)


def sections(text: str) -> list[str]:
    """A page cut at its headings (outside code blocks)."""
    out, current, in_code = [], [], False
    for line in text.splitlines():
        in_code ^= line.startswith("```")
        if line.startswith("#") and not in_code and current:
            out.append("\n".join(current))
            current = []
        current.append(line)
    return out + ["\n".join(current)]


def test_every_measured_speed_names_what_measured_it():
    unsourced = []
    for page in PAGES:
        for section in sections(text_of(page)):
            if MEASURED.search(section) and not any(source in section for source in SOURCES):
                unsourced.append(f"{short(page)}: {section.splitlines()[0]!r}: {MEASURED.search(section).group(0)}")
    assert not unsourced, "\n".join(unsourced)


def test_every_picture_is_listed_with_its_maker_and_shown_by_a_page():
    pictures = {os.path.basename(p) for p in glob.glob(os.path.join(DOCS, "diagrams", "*.png"))}
    index = text_of(os.path.join(DOCS, "diagrams", "index.md"))
    shown = "".join(text_of(p) for p in PAGES)
    for picture in sorted(pictures):
        assert f"`{picture}`" in index, f"docs/diagrams/index.md does not say how {picture} was made"
        assert f"diagrams/{picture})" in shown, f"no page shows {picture}"


def test_the_kickoff_page_documents_every_argument():
    table = text_of(os.path.join(DOCS, "reference", "kickoff-arguments.md"))
    documented = set(re.findall(r"^\| `(\w+)` \|", table, re.M))
    arguments = set(inspect.signature(Root.kickoff).parameters) - {"self"}
    assert arguments <= documented, f"undocumented: {sorted(arguments - documented)}"


def test_every_arena_variable_anywhere_is_in_the_settings_table():
    known = {variable_of(n) for n in SCRIPT_SETTINGS} | set(ARENA_VARIABLES) | set(TEST_VARIABLES)
    files = [*PAGES, *glob.glob(os.path.join(REPO, "**", "*.py"), recursive=True)]
    used = set()
    for path in files:
        if "/.venv/" in path or "/site/" in path:
            continue
        with open(path, errors="replace") as f:
            used |= {(v, short(path)) for v in re.findall(r"\bARENA_[A-Z][A-Z_]*[A-Z]\b", f.read())}
    names = {"ARENA_VARIABLES", "ARENA_NAME"}  # the table's own name, and the placeholder of a docstring
    assert not [(v, p) for v, p in used if v not in known | names]


@pytest.mark.timeout(600)
def test_the_site_builds_strictly(tmp_path):
    mkdocs = shutil.which("mkdocs", path=os.path.dirname(sys.executable))
    assert mkdocs, "mkdocs is not installed: pip install -e '.[docs]' (the dev extra includes it)"
    done = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=hang_guard(300),
    )
    assert done.returncode == 0, done.stderr[-4000:]
    page = (tmp_path / "site" / "algorithms" / "ppo" / "index.html").read_text()
    assert "<code>clip_coef</code>" in page and "Generated from" in page  # the hyperparameter table was generated
    assert (tmp_path / "site" / "diagrams" / "touchdown_ppo_vs_random.png").exists()
