"""MkDocs hooks: tables generated from the code, so that the site cannot drift from it.

A page writes a marker and the build replaces it:

- ``<!-- config: arena.algos.ppo.PPOConfig -->``: every field of a config dataclass, with its
  type, its default and the comment beside it in the source;
- ``<!-- presets: arena.algos.ppo.PRESETS -->``: the presets' values, one column each, for the
  fields where some preset differs from the class's defaults;
- ``<!-- settings -->``: every ``ARENA_*`` setting (``arena.settings``), with the examples that take it.
"""

from __future__ import annotations

import dataclasses
import glob
import importlib
import inspect
import io
import os
import re
import tokenize

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARKER = re.compile(r"<!-- (config|presets): ([\w.]+) -->|<!-- settings -->")


def _resolve(dotted: str) -> object:
    """The object a dotted path names: ``arena.algos.ppo.PPOConfig``."""
    module, name = dotted.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def field_comments(cls: type) -> dict[str, str]:
    """Field name -> the comment on its line, for ``cls`` and the dataclasses it extends."""
    out: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not dataclasses.is_dataclass(klass) or klass is object:
            continue
        source = inspect.getsource(klass)
        comments = {
            tok.start[0]: tok.string.lstrip("# ").strip()
            for tok in tokenize.generate_tokens(io.StringIO(source).readline)
            if tok.type == tokenize.COMMENT
        }
        for number, line in enumerate(source.splitlines(), start=1):
            match = re.match(r"\s+(\w+): [^=]+=", line)
            if match and number in comments:
                out[match.group(1)] = comments[number]
    return out


def _cell(value: object) -> str:
    """A value as a table cell: code, with pipes escaped."""
    return "`" + repr(value).replace("|", "\\|") + "`"


def config_table(dotted: str) -> str:
    """A markdown table of a config dataclass: field, type, default, meaning."""
    cls = _resolve(dotted)
    comments = field_comments(cls)
    rows = ["| field | type | default | meaning |", "| --- | --- | --- | --- |"]
    for field in dataclasses.fields(cls):
        default = field.default if field.default is not dataclasses.MISSING else field.default_factory()
        kind = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", str(field.type))
        meaning, kind = comments.get(field.name, "").replace("|", "\\|"), kind.replace("|", "\\|")
        rows.append(f"| `{field.name}` | `{kind}` | {_cell(default)} | {meaning} |")
    return "\n".join(rows) + f"\n\n*Generated from `{dotted}` when the site is built.*\n"


def presets_table(dotted: str) -> str:
    """A markdown table of a presets dict: the fields where some preset differs from the class defaults."""
    presets = _resolve(dotted)
    names = list(presets)
    base = type(presets[names[0]])()
    differing = [
        f.name
        for f in dataclasses.fields(base)
        if f.name != "preset" and any(getattr(presets[n], f.name) != getattr(base, f.name) for n in names)
    ]
    rows = ["| field | " + " | ".join(f"`{n}`" for n in names) + " |", "| --- |" + " --- |" * len(names)]
    for name in differing:
        rows.append(f"| `{name}` | " + " | ".join(_cell(getattr(presets[n], name)) for n in names) + " |")
    return "\n".join(rows) + f"\n\n*Generated from `{dotted}` when the site is built.*\n"


def examples_taking(name: str) -> list[str]:
    """The example folders whose scripts declare the setting ``name``."""
    out = []
    for path in sorted(glob.glob(os.path.join(REPO, "examples", "*", "my_main_script*.py"))):
        with open(path) as f:
            match = re.search(r"settings = script_settings\(\s*__doc__,([^)]*)\)", f.read())
        if match and re.search(rf"\b{name}=", match.group(1)):
            folder = os.path.basename(os.path.dirname(path))
            if folder not in out:
                out.append(folder)
    return out


def settings_table() -> str:
    """Every ARENA_* setting: the example scripts' flags, then the variables the arena and the tests read."""
    settings = importlib.import_module("arena.settings")
    rows = ["| flag | variable | meaning | examples |", "| --- | --- | --- | --- |"]
    for name, setting in settings.SCRIPT_SETTINGS.items():
        examples = ", ".join(f"`{e}`" for e in examples_taking(name)) or "-"
        flag = "--" + name.replace("_", "-")
        rows.append(f"| `{flag}` | `{settings.variable_of(name)}` | {setting.help} | {examples} |")
    rows += ["", "| variable | read by | meaning |", "| --- | --- | --- |"]
    for table, who in ((settings.ARENA_VARIABLES, "the arena"), (settings.TEST_VARIABLES, "the tests")):
        for variable, meaning in table.items():
            rows.append(f"| `{variable}` | {who} | {meaning} |")
    return "\n".join(rows) + "\n\n*Generated from `arena.settings` when the site is built.*\n"


def render_markers(markdown: str) -> str:
    """``markdown`` with every marker replaced by its generated table."""

    def replace(match: re.Match) -> str:
        kind, dotted = match.group(1), match.group(2)
        if kind == "config":
            return config_table(dotted)
        if kind == "presets":
            return presets_table(dotted)
        return settings_table()

    return MARKER.sub(replace, markdown)


LIST_ITEM = re.compile(r"([-*]|\d+\.) ")


def loosen_lists(markdown: str) -> str:
    """A blank line before every top-level list that follows a paragraph line, outside code.

    GitHub starts a list right after a paragraph line; Python-Markdown needs the blank line,
    so the pages stay as they read on GitHub.
    """
    out: list[str] = []
    in_code = False
    for line in markdown.split("\n"):
        if line.lstrip().startswith("```"):
            in_code = not in_code
        previous = out[-1] if out else ""
        if (
            not in_code
            and LIST_ITEM.match(line)
            and previous.strip()
            and not LIST_ITEM.match(previous)
            and not previous.startswith((" ", "|", "#", ">"))
        ):
            out.append("")
        out.append(line)
    return "\n".join(out)


def on_page_markdown(markdown: str, **kwargs: object) -> str:
    """MkDocs hook: generate the tables of every page, and start lists as GitHub does."""
    return loosen_lists(render_markers(markdown))
