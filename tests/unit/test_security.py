"""Nothing the arena loads from disk is a pickle, and nothing it writes is world-writable."""

import os
import re
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


def test_no_code_loads_pickles_from_disk():
    for path, text in _sources():
        assert not re.search(r"pickle\.load\(|allow_pickle\s*=\s*True|joblib|shelve", text), path
        for call in re.findall(r"torch\.load\([^)]*\)", text):
            assert "weights_only=True" in call, f"{path}: {call}"
        assert "chmod" not in text and "mkstemp" not in text, path  # modes come from the user's umask


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
