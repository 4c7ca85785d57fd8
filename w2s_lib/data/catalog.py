"""Tables of the registered tasks: one row per task (``w2s tasks``) and the data cards of notebook 01."""
from __future__ import annotations

import pandas as pd

from .registry import all_tasks, get_task, load_pool, task_names
from .splits import PRESET_CAPS, SPLIT_NAMES, make_splits, sizes_for_preset


def task_table(scope: str | None = None, load: bool = True) -> pd.DataFrame:
    """One row per task: name, domain, kind, scope, source, licence and split sizes.

    Split sizes are those of the ``micro`` preset for offline tasks (their pools are loaded
    from committed files) and the ``paper`` caps for hub tasks, which are not downloaded here.
    """
    rows = []
    for spec in all_tasks():
        if scope is not None and spec.scope != scope:
            continue
        row = {"name": spec.name, "domain": spec.domain, "kind": spec.kind, "scope": spec.scope}
        if spec.scope == "micro" and load:
            pool = len(load_pool(spec.name))
            sizes = sizes_for_preset(spec.name, "micro", pool)
            row.update(pool=pool, A=sizes.n_a, B=sizes.n_b, val=sizes.n_val, Q=sizes.n_q, test=sizes.n_test,
                       dev=sizes.n_dev, sizes_for="micro")
        else:
            caps = PRESET_CAPS["paper"]
            row.update(pool=None, A=caps.n_a, B=caps.n_b, val=caps.n_val, Q=caps.n_q, test=caps.n_test,
                       dev=caps.n_dev, sizes_for="paper (caps)")
        row.update(source=spec.source, license=spec.license)
        rows.append(row)
    table = pd.DataFrame(rows)
    if "pool" in table:
        table["pool"] = table["pool"].astype("Int64")  # hub pools are unknown until downloaded
    return table


def data_cards(preset: str, tasks: list[str] | None = None, seed: int = 0, n_examples: int = 3
               ) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """What each model sees of every task (``tasks``, or every task of the preset's scope): one card
    per task (source, licence, the size and positive rate of each split) and the first
    ``n_examples`` rows of split A. Every split is drawn and checked disjoint; an empty split is an
    error naming the task."""
    scope = "paper" if preset == "paper" else "micro"
    cards, examples = [], {}
    for name in tasks or task_names(scope=scope):
        spec = get_task(name)
        splits = make_splits(name, seed=seed, sizes=sizes_for_preset(name, preset))
        splits.assert_disjoint()
        card = {"task": name, "domain": spec.domain, "kind": spec.kind, "source": spec.source,
                "license": spec.license}
        for split in (*SPLIT_NAMES, "dev"):  # dev: for choosing settings (notebook 01_dev_choices)
            frame = splits[split]
            card[f"n_{split}"] = len(frame)
            if "label" in frame:
                card[f"pos_{split}"] = round(float(frame["label"].mean()), 3)
        cards.append(card)
        examples[name] = splits.A.head(n_examples)
    cards = pd.DataFrame(cards)
    empty = [f"{row['task']}: {s}" for _, row in cards.iterrows() for s in SPLIT_NAMES if row[f"n_{s}"] == 0]
    if empty:
        raise ValueError(f"empty split(s) at preset {preset!r}: {', '.join(empty)}")
    return cards, examples
