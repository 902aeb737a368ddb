"""Nothing the arena loads from disk is a pickle, and nothing it writes is world-writable."""

import ast
import os
import stat

from arena.storage.files import FolderLock, FolderLockedError, atomic_path
from arena.storage.records import PolicyRecord

ARENA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "arena")


def _sources():
    for root, _, files in os.walk(ARENA):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(root, name)
                with open(path) as f:
                    yield os.path.relpath(path, ARENA), f.read()


# pickle.loads on bytes that never touched a disk: the evaluation child's pipe, and check_env's round trip.
LOADS_ALLOWED = {os.path.join("evaluation", "pipe.py"), os.path.join("envs", "check_env.py")}


def _dotted(node: ast.AST) -> str:
    """``a.b.c`` for an attribute chain or a name, else ''."""
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def _unsafe_loads(path: str, text: str) -> list[str]:
    """Every call in ``text`` that could load a pickle from disk, as 'path:line: what'."""
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom) and node.module in ("pickle", "dill", "cloudpickle", "joblib", "shelve"):
            found.append(f"{path}:{node.lineno}: from {node.module} import ...")
        if isinstance(node, ast.Import) and any(
            a.name in ("dill", "cloudpickle", "joblib", "shelve") for a in node.names
        ):
            found.append(f"{path}:{node.lineno}: import of a pickle library")
        if not isinstance(node, ast.Call):
            continue
        name, keywords = _dotted(node.func), {k.arg: k.value for k in node.keywords}
        safe = isinstance(keywords.get("weights_only"), ast.Constant) and keywords["weights_only"].value is True
        if name == "torch.load" and not safe:
            found.append(f"{path}:{node.lineno}: torch.load without weights_only=True")
        if name in ("pickle.load", "pickle.Unpickler") or (name == "pickle.loads" and path not in LOADS_ALLOWED):
            found.append(f"{path}:{node.lineno}: {name}")
        pickled = isinstance(keywords.get("allow_pickle"), ast.Constant) and keywords["allow_pickle"].value is True
        if pickled:
            found.append(f"{path}:{node.lineno}: allow_pickle=True")
    return found


def test_no_code_loads_pickles_from_disk():
    found = [hit for path, text in _sources() for hit in _unsafe_loads(path, text)]
    assert found == []
    for path, text in _sources():
        assert "chmod" not in text and "mkstemp" not in text, path  # modes come from the user's umask


def test_the_pickle_check_finds_what_it_looks_for():
    bad = "torch.load(io.BytesIO(f(x)), map_location='cpu')\npickle.load(f)\nnp.load(p, allow_pickle=True)\n"
    assert len(_unsafe_loads("x.py", bad)) == 3
    good = "torch.load(io.BytesIO(f(x)),\n    map_location='cpu', weights_only=True)\n"
    assert _unsafe_loads("x.py", good) == []


def test_written_files_follow_the_umask_and_torn_records_are_repaired(tmp_path):
    old = os.umask(0o027)
    try:
        record = PolicyRecord(1, str(tmp_path))
        for i in range(3):
            record.add_result(float(i), 10)
        record.save()
        FolderLock(str(tmp_path)).acquire()
        with atomic_path(str(tmp_path / "x.json")) as tmp, open(tmp, "w") as f:
            f.write("{}")
    finally:
        os.umask(old)
    for root, _, files in os.walk(tmp_path):
        for name in files:
            mode = stat.S_IMODE(os.stat(os.path.join(root, name)).st_mode)
            assert mode == 0o640, (name, oct(mode))
    path = tmp_path / "policy_1" / "records.csv"
    path.write_text(path.read_text() + "3,1.0,1")  # a crash in the middle of an append
    (tmp_path / "policy_1" / "records.tmp.csv").write_text("episode,return\n9,9\n")  # and one mid-rewrite
    loaded = PolicyRecord(1, str(tmp_path)).load()
    assert [e.ret for e in loaded.episodes] == [0.0, 1.0, 2.0]
    loaded.add_result(5.0, 10)
    loaded.save()  # the torn line is gone, not glued to the next row
    assert [e.ret for e in PolicyRecord(1, str(tmp_path)).load().episodes] == [0.0, 1.0, 2.0, 5.0]


def test_a_held_log_folder_is_refused_and_freed_when_its_holder_goes(tmp_path):
    held = FolderLock(str(tmp_path)).acquire()
    try:
        FolderLock(str(tmp_path)).acquire()
        raise AssertionError("a second lock on a held folder was granted")
    except FolderLockedError as err:
        assert f"pid {os.getpid()}" in str(err)
    held.file.close()  # what the kernel does when the holder dies
    FolderLock(str(tmp_path)).acquire()
