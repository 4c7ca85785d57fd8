"""Linear-probe training: the library's trainer against the same algorithm through torch.optim.

Micro trains about 500 probes (960 minibatch steps each), so their per-step overhead is minutes
of the run. The library writes AdamW and the cosine schedule out and checks the targets once
(``w2s_lib.training.probe``), and for the soft cross-entropy and Bradley–Terry losses takes the
closed-form gradient in numpy instead of autograd; the reference below is the straightforward
version it replaced: ``torch.optim.AdamW`` with ``LambdaLR`` and a loss that re-checks every batch's
targets. The autograd path gives bit-identical probes, the closed-form one the same probes to
float32 rounding (``tests/test_probe_trainer.py``); this script times them in one process.

    python benchmarks/probe_speed.py --out benchmarks/results/probe_speed.json
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from w2s_lib.training import probe  # noqa: E402
from w2s_lib.seeding import seed_everything  # noqa: E402


def torch_optim_train_steps(rows, n_out, batch_loss, cfg, evaluate=None, on_epoch=None):
    """The reference trainer: torch.optim.AdamW and LambdaLR, every batch's targets re-checked."""
    from w2s_lib import losses

    token = losses._TARGETS_VALIDATED.set(False)  # undo the trainer's check-once
    try:
        seed_everything(cfg.seed)
        n, d = rows[0].shape
        head = torch.nn.Linear(d, n_out)
        torch.nn.init.zeros_(head.weight), torch.nn.init.zeros_(head.bias)
        opt = torch.optim.AdamW(head.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        steps = math.ceil(n / cfg.batch_size) * cfg.epochs
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(1.0, s / steps))))
        gen = torch.Generator().manual_seed(cfg.seed)
        step, best = 0, (math.inf, None)
        for epoch in range(cfg.epochs):
            for idx in torch.randperm(n, generator=gen).split(cfg.batch_size):
                loss = batch_loss(head, [t[idx] for t in rows], min(1.0, step / max(1, steps - 1)))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step(), sched.step()
                step += 1
            score = None
            if evaluate is not None and cfg.select == "weak_val":
                score = evaluate(head)
                if score < best[0]:
                    best = (score, {k: v.clone() for k, v in head.state_dict().items()})
            if on_epoch is not None:
                on_epoch(epoch + 1, step, head, score)
        if best[1] is not None:
            head.load_state_dict(best[1])
        return head
    finally:
        losses._TARGETS_VALIDATED.reset(token)


def _fit(kind: str, seed: int, data: dict):
    if kind == "bt":
        return probe.train_reward_probe(data["x"], data["x2"], data["p"], probe.ProbeConfig(loss="bt", seed=seed,
                                                                                             weight_decay=3.0))
    cfg = probe.ProbeConfig(loss=kind, seed=seed, weight_decay=3.0, select="weak_val")
    return probe.train_probe(data["x"], data["p"], cfg, data["xv"], data["pv"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="training rows (micro's B split: 2000)")
    ap.add_argument("--dim", type=int, default=384, help="feature width (MiniLM: 384)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    data = {"x": rng.normal(size=(args.n, args.dim)).astype(np.float32),
            "x2": rng.normal(size=(args.n, args.dim)).astype(np.float32),
            "p": rng.random(args.n).astype(np.float32),
            "xv": rng.normal(size=(args.n // 4, args.dim)).astype(np.float32),
            "pv": rng.random(args.n // 4).astype(np.float32)}
    library = probe._train_steps
    _fit("xent", 0, data)  # first-call costs (imports, allocator) outside the timings
    rows = {}
    for kind in ("xent", "aux_conf", "bt"):
        times = {"library": [], "torch.optim": []}
        closed_form = probe.CLOSED_FORM_LOSSES
        for seed in range(args.repeats):
            for name, trainer in (("library", library), ("torch.optim", torch_optim_train_steps)):
                probe._train_steps = trainer
                probe.CLOSED_FORM_LOSSES = closed_form if name == "library" else frozenset()
                start = time.perf_counter()
                _fit(kind, seed, data)
                times[name].append(time.perf_counter() - start)
        probe._train_steps, probe.CLOSED_FORM_LOSSES = library, closed_form
        lib, ref = statistics.median(times["library"]), statistics.median(times["torch.optim"])
        rows[kind] = {"library_s": round(lib, 3), "torch_optim_s": round(ref, 3), "speed_up": round(ref / lib, 2)}
        print(f"{kind:9s} library {lib:.3f} s  torch.optim {ref:.3f} s  ×{ref / lib:.2f}")
    if args.out:
        from w2s_lib.provenance import provenance
        args.out.write_text(json.dumps({"n": args.n, "dim": args.dim, "repeats": args.repeats,
                                        "per_probe": rows, "provenance": provenance()}, indent=1))


if __name__ == "__main__":
    main()
