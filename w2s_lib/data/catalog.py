"""A table of every registered task, for ``w2s tasks`` and the data notebook."""
from __future__ import annotations

import pandas as pd

from .registry import all_tasks, load_pool
from .splits import PRESET_CAPS, sizes_for_preset


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
                       sizes_for="micro")
        else:
            caps = PRESET_CAPS["paper"]
            row.update(pool=None, A=caps.n_a, B=caps.n_b, val=caps.n_val, Q=caps.n_q, test=caps.n_test,
                       sizes_for="paper (caps)")
        row.update(source=spec.source, license=spec.license)
        rows.append(row)
    table = pd.DataFrame(rows)
    if "pool" in table:
        table["pool"] = table["pool"].astype("Int64")  # hub pools are unknown until downloaded
    return table
