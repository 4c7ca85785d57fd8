"""The micro ladder's pretrained tiny rungs are committed (w2s_lib/resources/pretrained): they must
be the current recipe's artifacts, be used instead of pretraining, and be what a rebuild gives."""
from __future__ import annotations

import hashlib

import pytest

from w2s_lib.cli import main
from w2s_lib.models import pretrain as P
from w2s_lib.models.ladder import LADDERS
from w2s_lib.store import default_store

TINY = [r for r in LADDERS["micro"] if r.family == "tiny_gpt2"]


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("corpus", P.CORPORA)
def test_every_micro_tiny_rung_has_a_committed_copy_under_its_current_key(corpus):
    """A change to the corpus, tokenizer or recipe changes the key: the committed copy would then
    be silently unused (and a cold run would pretrain for minutes). Rebuild with `w2s pretrain --commit`."""
    store = default_store()
    for rung in TINY:
        art = P.pretrained_artifact(rung, corpus, store)
        assert art.meta.get("from_committed"), (
            f"{rung.name} on {corpus}: no committed copy for key {art.key}; run `w2s pretrain --commit`")
        assert _sha(art.file(P.WEIGHTS_FILE)) == _sha(P.COMMITTED_DIR / art.key / P.WEIGHTS_FILE)
        assert art.meta["steps"] == rung.pretrain_steps and art.meta["final_loss"] < art.meta["first_loss"]


REBUILD_ATOL = 1e-3  # float32 kernels differ between CPU families (MKL on Intel vs AMD): ~1e-4 after 300 steps


def test_a_rebuild_from_scratch_matches_the_committed_weights(capsys):
    """The cheapest rung is retrained from scratch by the documented command and compared with the
    committed copy: bit for bit on the CPU family that built it; elsewhere within float32 kernel
    differences (1.25e-4 on an AMD EPYC for weights built on Intel), far below what a changed corpus,
    seed or recipe gives (test_weights_difference_sees_one_changed_weight: any change shows)."""
    assert main(["pretrain", "--check", "--rung", "tiny-xs", "--corpus", "english",
                 "--atol", str(REBUILD_ATOL)]) == 0
    assert "(matches)" in capsys.readouterr().out


def test_weights_difference_sees_one_changed_weight(tmp_path):
    """What --check relies on: any changed weight shows (0.0 only for identical tensors)."""
    import shutil

    from safetensors.numpy import load_file, save_file

    committed = next(p for p in P.COMMITTED_DIR.iterdir() if (p / P.WEIGHTS_FILE).exists())
    copy = tmp_path / "copy"
    shutil.copytree(committed, copy)
    assert P.weights_difference(committed, copy) == 0.0
    tensors = load_file(str(copy / P.WEIGHTS_FILE))
    name = sorted(tensors)[0]
    tensors[name].flat[0] += 1e-3
    save_file(tensors, str(copy / P.WEIGHTS_FILE), metadata={"format": "pt"})
    assert P.weights_difference(committed, copy) == pytest.approx(1e-3, rel=1e-2)
