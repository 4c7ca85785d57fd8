"""Several processes on one store: none fails, none loses a good artifact, each key is built once."""
from __future__ import annotations

import errno
import multiprocessing
import os
import time

import pytest

from w2s_lib.store import TMP_PREFIX, ArtifactSpec, ArtifactStore, StoreError

SPEC = ArtifactSpec("train_weak", 1, {"lr": 1e-3})
FORK = multiprocessing.get_context("fork")


def _slow_build(log_file):
    def build(tmp):
        with open(log_file, "a") as f:
            f.write(f"{os.getpid()}\n")
        time.sleep(0.3)
        (tmp / "w.bin").write_bytes(b"0123456789")
        return {"by": os.getpid()}
    return build


def _worker(root, log_file, results):
    try:
        art = ArtifactStore(root).get_or_build(SPEC, _slow_build(log_file))
        results.put(("ok", art.file("w.bin").read_bytes().decode()))
    except BaseException as err:  # noqa: BLE001 - reported to the parent
        results.put(("error", repr(err)))


def _run_workers(root, log_file, n):
    results = FORK.Queue()
    procs = [FORK.Process(target=_worker, args=(root, log_file, results)) for _ in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    return [results.get(timeout=5) for _ in procs]


def test_two_processes_asking_for_one_missing_key_build_it_once(tmp_path):
    log_file = tmp_path / "builds.log"
    outcomes = _run_workers(tmp_path / "cache", log_file, 2)
    assert outcomes == [("ok", "0123456789")] * 2
    assert len(log_file.read_text().split()) == 1, "the second process waited and read the first's"


def test_eight_processes_meeting_one_damaged_artifact_all_succeed_and_rebuild_it_once(tmp_path):
    root, log_file = tmp_path / "cache", tmp_path / "builds.log"
    art = ArtifactStore(root).get_or_build(SPEC, lambda tmp: (tmp / "w.bin").write_bytes(b"0123456789"))
    art.file("w.bin").write_bytes(b"01234")  # truncated
    outcomes = _run_workers(root, log_file, 8)
    assert outcomes == [("ok", "0123456789")] * 8, outcomes
    assert len(log_file.read_text().split()) == 1
    assert len(list((root / ".trash").iterdir())) == 1, "the damaged copy is trashed once, the rebuilt one never"
    assert ArtifactStore(root).get(SPEC) is not None


def test_a_failing_write_gives_a_clear_error_and_stores_nothing(tmp_path):
    store = ArtifactStore(tmp_path / "cache")

    def disk_full(tmp):
        (tmp / "half.bin").write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(StoreError, match="No space left on device; nothing was stored"):
        store.get_or_build(SPEC, disk_full)
    assert store.get(SPEC) is None
    assert not list(store.root.rglob("half.bin")) and not list(store.root.glob(f"*/{TMP_PREFIX}*"))
    assert store.get_or_build(SPEC, lambda tmp: (tmp / "w.bin").write_bytes(b"ok")).file("w.bin").read_bytes() == b"ok"


def test_leftover_build_folders_of_dead_processes_are_removed_and_live_ones_kept(tmp_path):
    root = tmp_path / "cache"
    store = ArtifactStore(root)
    host = __import__("socket").gethostname().replace("-", "_")
    dead = FORK.Process(target=time.sleep, args=(0,))
    dead.start(), dead.join()
    step = root / "train_weak"
    step.mkdir(parents=True)
    (step / f"{TMP_PREFIX}{SPEC.key}-{host}~{dead.pid}-abc").mkdir()
    (step / f"{TMP_PREFIX}{SPEC.key}-{host}~{os.getpid()}-def").mkdir()
    assert store.clean_stale_temporary() == 1
    assert [p.name.split("~")[1] for p in step.iterdir()] == [f"{os.getpid()}-def"]
    ArtifactStore(root)  # a new process does the same on start: nothing else to remove
    assert len(list(step.iterdir())) == 1
