"""Offline pretraining of the tiny decoder rungs: a tokenizer and a language model per corpus.

Both are artifacts: the tokenizer is trained once per corpus, each rung is pretrained once per
(rung, corpus) and reused by every experiment. The corpora exclude every test-pool text of
every task (asserted by their builders), so pretraining never sees a test item.
"""
from __future__ import annotations

import functools
import hashlib
import math
from pathlib import Path

import numpy as np

from ..progress import progress
from ..store import ArtifactSpec, ArtifactStore, default_store
from ..seeding import torch_threads, train_threads
from .ladder import Rung

CORPORA = ("english", "chess")
VOCAB_SIZE = {"english": 4096, "chess": 512}
BLOCK_SIZE = 64          # tokens per pretraining sequence
BATCH_SIZE = 32
PRETRAIN_LR = 2e-3
SPECIAL_TOKENS = {"eos": "<|endoftext|>", "pad": "<|pad|>"}
TOKENIZER_VERSION = 1
PRETRAIN_VERSION = 1
# Pretrained rungs of the micro ladder, committed so a cold run need not spend minutes
# pretraining them: one folder per artifact key, rebuilt and checked by ``w2s pretrain --check``.
COMMITTED_DIR = Path(__file__).resolve().parents[1] / "resources" / "pretrained"
WEIGHTS_FILE = "model.safetensors"


@functools.cache
def corpus_documents(corpus: str) -> tuple[str, ...]:
    """The pretraining documents of a corpus (built from committed data, test pools excluded);
    ``english+<task>`` also avoids the test pool of a task with a corpus of its own."""
    if corpus == "english" or corpus.startswith("english+"):
        from ..data.corpus import english_corpus

        return tuple(english_corpus(also_avoid=tuple(corpus.split("+")[1:])))
    if corpus == "chess":
        from ..data.chess_tasks import chess_corpus

        return tuple(chess_corpus())
    raise ValueError(f"unknown corpus {corpus!r}; accepted: {', '.join(CORPORA)}")


@functools.cache
def corpus_fingerprint(corpus: str) -> str:
    h = hashlib.sha256()
    for doc in corpus_documents(corpus):
        h.update(doc.encode())
        h.update(b"\x00")
    return h.hexdigest()[:16]


def tokenizer_spec(corpus: str) -> ArtifactSpec:
    return ArtifactSpec("tokenizer", TOKENIZER_VERSION,
                        {"corpus": corpus, "corpus_sha": corpus_fingerprint(corpus),
                         "vocab_size": VOCAB_SIZE[corpus.split("+")[0]]})


def token_blocks_spec(corpus: str) -> ArtifactSpec:
    return ArtifactSpec("token_blocks", TOKENIZER_VERSION, {"block": BLOCK_SIZE},
                        inputs=(tokenizer_spec(corpus).key,))


def tokenizer_artifact(corpus: str, store: ArtifactStore | None = None):
    """A byte-level BPE tokenizer trained on the corpus, saved as a transformers tokenizer."""
    store = store or default_store()
    spec = tokenizer_spec(corpus)

    def build(tmp: Path) -> dict:
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
        from transformers import PreTrainedTokenizerFast

        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=VOCAB_SIZE[corpus.split("+")[0]], show_progress=False,
                                      special_tokens=list(SPECIAL_TOKENS.values()),
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
        tok.train_from_iterator(corpus_documents(corpus), trainer=trainer)
        fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=SPECIAL_TOKENS["eos"],
                                       bos_token=SPECIAL_TOKENS["eos"], pad_token=SPECIAL_TOKENS["pad"],
                                       padding_side="right")
        fast.save_pretrained(tmp)
        return {"vocab_size": tok.get_vocab_size()}

    return store.get_or_build(spec, build)


def token_blocks_artifact(corpus: str, store: ArtifactStore | None = None):
    """The corpus tokenized once into ``BLOCK_SIZE``-token rows (documents joined by EOS)."""
    store = store or default_store()
    tok_art = tokenizer_artifact(corpus, store)
    spec = token_blocks_spec(corpus)

    def build(tmp: Path) -> dict:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(tok_art.path)
        ids = tokenizer(list(corpus_documents(corpus)), add_special_tokens=False)["input_ids"]
        eos = tokenizer.eos_token_id
        stream = np.fromiter((t for doc in ids for t in (*doc, eos)), dtype=np.int32)
        n_blocks = len(stream) // BLOCK_SIZE
        np.save(tmp / "blocks.npy", stream[: n_blocks * BLOCK_SIZE].reshape(n_blocks, BLOCK_SIZE))
        return {"tokens": int(len(stream)), "blocks": int(n_blocks)}

    return store.get_or_build(spec, build)


def pretrained_artifact(rung: Rung, corpus: str, store: ArtifactStore | None = None, seed: int = 0,
                        use_committed: bool = True):
    """The rung pretrained with the language-model objective on ``corpus`` (a saved HF model).

    A committed copy under the same key (``resources/pretrained/<key>``) is used instead of
    training when there is one: same key, same recipe, so the same weights (``w2s pretrain --check``
    retrains and compares)."""
    if rung.family != "tiny_gpt2":
        raise ValueError(f"rung {rung.name} is not pretrained here (family {rung.family})")
    store = store or default_store()
    # keys only: a committed copy needs neither the tokenizer nor the token blocks built
    tok_spec, blocks_spec = tokenizer_spec(corpus), token_blocks_spec(corpus)
    spec = ArtifactSpec("pretrain_lm", PRETRAIN_VERSION,
                        {"rung": rung.identity(), "corpus": corpus, "block": BLOCK_SIZE,
                         "batch": BATCH_SIZE, "lr": PRETRAIN_LR, "threads": train_threads()},
                        inputs=(tok_spec.key, blocks_spec.key), seed=seed)

    def build(tmp: Path) -> dict:
        committed = COMMITTED_DIR / spec.key
        if use_committed and (committed / WEIGHTS_FILE).exists():
            return copy_committed(committed, tmp)
        with torch_threads(train_threads()):
            return pretrain(tmp)

    def pretrain(tmp: Path) -> dict:
        import torch
        from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel

        from ..devices import resolve_device
        from ..checkpoint import Checkpointer
        from ..seeding import seed_everything

        seed_everything(seed)
        tok_art, blocks_art = tokenizer_artifact(corpus, store), token_blocks_artifact(corpus, store)
        tokenizer = AutoTokenizer.from_pretrained(tok_art.path)
        blocks = torch.from_numpy(np.load(blocks_art.file("blocks.npy")).astype(np.int64))
        config = GPT2Config(vocab_size=len(tokenizer), n_positions=max(512, BLOCK_SIZE),
                            n_embd=rung.n_embd, n_layer=rung.n_layer, n_head=rung.n_head,
                            resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                            bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id,
                            pad_token_id=tokenizer.pad_token_id)
        device = resolve_device()  # W2S_DEVICE (default auto)
        model = GPT2LMHeadModel(config).to(device)
        optim = torch.optim.AdamW(model.parameters(), lr=PRETRAIN_LR, weight_decay=0.01)
        steps, warmup = rung.pretrain_steps, max(1, rung.pretrain_steps // 20)
        sched = torch.optim.lr_scheduler.LambdaLR(optim, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (
            1 + math.cos(math.pi * min(1.0, s / steps))))
        gen = torch.Generator().manual_seed(seed)
        order = torch.randperm(len(blocks), generator=gen)
        model.train()
        losses, start = [], 0
        checkpoint = Checkpointer.for_current_build()
        saved = checkpoint.load()
        if saved is not None:  # a killed run left a checkpoint: continue from it
            model.load_state_dict(saved["model"]), optim.load_state_dict(saved["optim"])
            sched.load_state_dict(saved["sched"])
            losses, start = saved["losses"], saved["step"]
        for step in progress(range(start, steps), initial=start, total=steps, desc=f"pretrain {rung.name} on {corpus}"):
            idx = order[(step * BATCH_SIZE + torch.arange(BATCH_SIZE)) % len(order)]
            batch = blocks[idx].to(device)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
                loss = model(input_ids=batch, labels=batch).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optim.step(), sched.step(), optim.zero_grad(set_to_none=True)
            losses.append(loss.item())
            checkpoint.maybe_save(lambda: {"model": model.state_dict(), "optim": optim.state_dict(),
                                           "sched": sched.state_dict(), "losses": losses, "step": step + 1})
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        tail = losses[-max(1, steps // 10):]
        return {"final_loss": float(np.mean(tail)), "first_loss": losses[0], "steps": steps,
                "tokens_seen": steps * BATCH_SIZE * BLOCK_SIZE, "corpus_blocks": len(blocks),
                "non_embedding_params": rung.non_embedding_params()}

    return store.get_or_build(spec, build)


def copy_committed(committed: Path, tmp: Path) -> dict:
    """A committed copy's files into an artifact being built; its training meta, marked as copied."""
    import json
    import shutil

    for file in committed.iterdir():
        if file.name != "meta.json":
            shutil.copy2(file, tmp / file.name)
    return {**json.loads((committed / "meta.json").read_text()), "from_committed": True}


def commit_pretrained(art, dest_root: Path = COMMITTED_DIR) -> Path:
    """Copy a pretrained artifact's files (weights, config, tokenizer, training meta; a board
    rung's weights and meta) to the committed folder under its key."""
    import json
    import shutil

    dest = dest_root / art.key
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for file in art.path.iterdir():
        if file.name not in ("manifest.json",) and file.is_file():
            shutil.copy2(file, dest / file.name)
    meta = {k: v for k, v in art.meta.items() if k != "from_committed"}
    (dest / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    return dest


def weights_difference(a: Path, b: Path, weights_file: str = WEIGHTS_FILE) -> float:
    """Largest absolute difference between two saved models' tensors (0.0: identical)."""
    from safetensors.numpy import load_file

    ta, tb = load_file(str(a / weights_file)), load_file(str(b / weights_file))
    if ta.keys() != tb.keys():
        return float("inf")
    return max(float(np.max(np.abs(ta[k].astype(np.float64) - tb[k].astype(np.float64))))
               if ta[k].size else 0.0 for k in ta)
