"""The artifact store: content-addressed, atomic, self-healing."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from w2s_lib.store import ArtifactSpec, ArtifactStore


@pytest.fixture
def store(tmp_path):
    return ArtifactStore(tmp_path / "cache")


def _spec(**changes) -> ArtifactSpec:
    base = dict(step="train_weak", version=1, config={"lr": 1e-3, "model": "tiny"},
                inputs=("pretrain_lm-abc",), splits="f00d", seed=0)
    base.update(changes)
    return ArtifactSpec(**base)


def test_key_depends_on_everything_that_determines_the_result():
    keys = {_spec().key, _spec(version=2).key, _spec(config={"lr": 2e-3, "model": "tiny"}).key,
            _spec(inputs=("pretrain_lm-xyz",)).key, _spec(splits="beef").key, _spec(seed=1).key}
    assert len(keys) == 6


def test_key_ignores_dict_order_and_is_stable():
    a = ArtifactSpec("s", 1, {"a": 1, "b": [1, 2]})
    b = ArtifactSpec("s", 1, {"b": [1, 2], "a": 1})
    assert a.key == b.key
    assert a.key.startswith("s-") and len(a.key) == len("s-") + 20


def test_built_once_then_reused(store):
    calls = []

    def build(tmp):
        calls.append(1)
        (tmp / "x.txt").write_text("hello")
        return {"acc": 0.9}

    first = store.get_or_build(_spec(), build)
    second = store.get_or_build(_spec(), build)
    assert len(calls) == 1
    assert first.path == second.path and second.file("x.txt").read_text() == "hello"
    assert second.meta == {"acc": 0.9}
    prov = second.manifest["provenance"]
    assert {"git_commit", "packages", "device", "wall_time_s", "created"} <= set(prov)
    assert second.manifest["spec"]["config"] == {"lr": 1e-3, "model": "tiny"}


def test_a_crash_during_build_leaves_nothing_that_is_read_later(store):
    def crash(tmp):
        (tmp / "half.bin").write_bytes(b"partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        store.get_or_build(_spec(), crash)
    assert store.get(_spec()) is None
    assert not list(store.root.rglob("half.bin"))


def test_a_killed_process_leftover_is_ignored_and_cleanable(store):
    spec = _spec()
    leftover = store.path_for(spec.key).parent / f".tmp-{spec.key}-dead"
    leftover.mkdir(parents=True)
    (leftover / "model.bin").write_bytes(b"partial")
    assert store.get(spec) is None
    built = store.get_or_build(spec, lambda tmp: (tmp / "model.bin").write_bytes(b"complete"))
    assert built.file("model.bin").read_bytes() == b"complete"
    assert store.clean(temporary_only=True) > 0
    assert not leftover.exists() and store.get(spec) is not None


@pytest.mark.parametrize("damage", ["truncate", "flip", "delete_manifest", "corrupt_manifest"])
def test_a_damaged_artifact_is_detected_and_rebuilt(store, damage):
    spec = _spec()
    art = store.get_or_build(spec, lambda tmp: (tmp / "w.bin").write_bytes(b"0123456789"))
    target = art.file("w.bin")
    if damage == "truncate":
        target.write_bytes(b"01234")
    elif damage == "flip":
        target.write_bytes(b"0123456780")
    elif damage == "delete_manifest":
        art.file("manifest.json").unlink()
    else:
        art.file("manifest.json").write_text("{not json")
    fresh = ArtifactStore(store.root)  # a new process: nothing verified in memory
    assert fresh.get(spec) is None
    rebuilt = fresh.get_or_build(spec, lambda tmp: (tmp / "w.bin").write_bytes(b"0123456789"))
    assert rebuilt.file("w.bin").read_bytes() == b"0123456789"
    assert list((store.root / ".trash").iterdir())


def test_frame_and_json_helpers_round_trip(store):
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    assert store.frame(ArtifactSpec("t", 1), lambda: df).equals(df)
    assert store.frame(ArtifactSpec("t", 1), lambda: pytest.fail("recomputed")).equals(df)
    assert store.json(ArtifactSpec("j", 1), lambda: {"k": [1, 2]}) == {"k": [1, 2]}


def test_entries_and_clean_by_step(store):
    store.json(ArtifactSpec("a", 1), lambda: 1)
    store.json(ArtifactSpec("b", 1), lambda: 2)
    assert sorted(e["step"] for e in store.entries()) == ["a", "b"]
    store.clean(step="a")
    assert [e["step"] for e in store.entries()] == ["b"]
    manifest = json.loads((store.path_for(ArtifactSpec("b", 1).key) / "manifest.json").read_text())
    assert manifest["key"] == ArtifactSpec("b", 1).key
