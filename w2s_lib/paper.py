"""The paper assembled from stored results only (notebook 09): every figure and table is read
from ``results/<preset>/tables`` and redrawn; nothing is trained. A missing result names the
notebook that makes it."""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from . import figures
from .findings import comparison_lines
from .manifest import producers
from .paths import REPO_ROOT, figures_dir, tables_dir
from .saving import save_figure


class MissingResult(FileNotFoundError):
    pass


TABLES = ("table1_main", "table1_comparisons", "headline_pairs", "table2_framework", "table2_comparisons", "table3_imitation",
          "error_types")
# every stored table the paper reads: its tables and those its figures are drawn from
NEEDED = (*TABLES, "concept_saliency_summary", "overfitting_curve", "choices_dev")


def makers(name: str) -> str:
    """The notebooks that write a stored table (from the manifest), as words."""
    stems = producers(f"tables/{name}")
    return "?" if not stems else stems[0] if len(stems) == 1 else f"{', '.join(stems[:-1])} and {stems[-1]}"


def load(name: str, preset: str) -> tuple[pd.DataFrame, dict]:
    """A stored table and its sidecar (preset, seeds, commit); :class:`MissingResult` otherwise."""
    path = tables_dir(preset) / f"{name}.csv"
    if not path.exists():
        raise MissingResult(f"{name} is not in {path.parent}: run notebook(s) {makers(name)} "
                            f"at preset {preset!r} first (`w2s reproduce --preset {preset} --only '<name>'`)")
    sidecar = path.with_suffix(".json")
    return pd.read_csv(path), json.loads(sidecar.read_text()) if sidecar.exists() else {}


def status(preset: str) -> pd.DataFrame:
    """Which stored results exist, with their rows and seeds, and which notebook makes each."""
    rows = []
    for name in NEEDED:
        path = tables_dir(preset) / f"{name}.csv"
        meta = json.loads(path.with_suffix(".json").read_text()) if path.with_suffix(".json").exists() else {}
        rows.append({"result": name, "present": path.exists(), "rows": meta.get("rows"),
                     "seeds": meta.get("seeds"), "made by": makers(name)})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Figure:
    name: str
    table: str
    caption: str
    draw: Callable


def _fig1(t):
    return figures.pgr_vs_size_by_method(t)


def _fig2(t):
    return figures.accuracy_vs_size(t[t["weak_size"].notna()])


def _fig3(t):
    return figures.agreement_vs_size(t[t["weak_size"].notna()])


def _choices(t):
    from .choices import picks

    return figures.choices_on_dev(t.astype({"setting": str, "preset_setting": str}), picks(t))


FIGURES = (
    Figure("fig1_pgr_vs_size", "table1_main",
           "Figure 1. Performance gap recovered (PGR) against the strong model's size, one panel per domain "
           "and ladder (named in its title) and one line per method (baseline, auxiliary confidence, "
           "bootstrapping, generative finetuning where run), all supervised by the domain's smallest weak "
           "rung; hollow diamonds: the largest pair with the strong rung's last block finetuned (its own weak "
           "supervisor). Bars: 95 % bootstrap CI over test items and seeds (one task) or the tasks' range. "
           "Pairs whose ceiling does not beat the weak model by 2 points are left out.", _fig1),
    Figure("fig2_accuracy_vs_size", "table1_main",
           "Figure 2. Test accuracy against model size per domain and ladder: weak supervisors and strong "
           "ceilings (trained on ground truth) and the baseline weak-to-strong student of the smallest weak "
           "rung; hollow diamonds: ceiling and student of the largest pair finetuned.",
           _fig2),
    Figure("fig3_agreement_vs_size", "table1_main",
           "Figure 3. How often the student agrees with its weak supervisor on test, against strong size, "
           "where the supervisor is right (solid) and wrong (dashed), for the baseline, the auxiliary "
           "confidence loss and bootstrapping; diamonds: the finetuned regime. Agreement on the supervisor's "
           "errors is imitation.", _fig3),
    Figure("fig4_concept_saliency", "concept_saliency_summary",
           "Figure 4. Concept saliency: accuracy of linear probes for four concepts on the strong model's "
           "representations before training, after weak-to-strong training and after ceiling training "
           "(probes trained and scored on disjoint items; bars: 95 % CI over seeds).", figures.plot_concept_saliency),
    Figure("fig5_error_types", "error_types",
           "Figure 5. The aligned student's test errors by type (beyond the student's reach, poor quote "
           "selection, evidence extraction, unsure supervisor, follows the answer prior, other), each attributed "
           "by the rules stated in notebook 07 against the jury it learned from and its own ceiling; bars: 95 % "
           "intervals over test items × seeds.", figures.error_types),
    Figure("fig_overfitting", "overfitting_curve",
           "Overfitting over training: the baseline student's test accuracy against training steps, with "
           "the step that early stopping on weak-labelled val picks marked.", figures.plot_overfitting),
    Figure("fig_choices_dev", "choices_dev",
           "Settings chosen on dev (notebook 01_dev_choices): for each choice, the reference its rule reads "
           "(top) and what the rule maximises (bottom) against the setting, per task; the pick is shaded. "
           "No test label was read.", _choices),
)


def caption(fig: Figure, meta: dict) -> str:
    return (f"{fig.caption} Preset `{meta.get('preset', '?')}`, seeds {meta.get('seeds', '?')}; "
            "the numbers are this package's own, computed from the stored results, none copied from a paper.")


def draw(fig: Figure, preset: str):
    """Redraw one figure from its stored table and save it; returns (figure, caption)."""
    table, meta = load(fig.table, preset)
    drawn = fig.draw(table)
    save_figure(drawn, fig.name, preset=preset, seeds=meta.get("seeds", []), tables=[fig.table])
    return drawn, caption(fig, meta)


def refresh_gallery(preset: str = "micro", gallery: Path = REPO_ROOT / "docs" / "gallery") -> list[Path]:
    """Copy the preset's figure PNGs (and their provenance) into the README's gallery."""
    gallery.mkdir(parents=True, exist_ok=True)
    copied = []
    for fig in FIGURES:
        src = figures_dir(preset) / f"{fig.name}.png"
        if src.exists():
            copied.append(Path(shutil.copy2(src, gallery / src.name)))
            side = src.with_suffix(".json")
            if side.exists():
                shutil.copy2(side, gallery / f"{fig.name}.provenance.json")
    return copied


def headlines(preset: str) -> str:
    """Every paired comparison the notebooks stored (each method against the baseline; Φ, D and Ψ
    against their references), with its interval over test items × seeds; an interval that
    includes 0 reads "no detectable effect" (markdown)."""
    parts = []
    for name, title in (("table1_comparisons", "Weak-to-strong methods against the baseline (table 1)"),
                        ("table2_comparisons", "The framework: Φ, D and Ψ against their references (table 2)")):
        try:
            table, meta = load(name, preset)
        except MissingResult as err:
            parts.append(f"**{title}: missing.** {err}")
            continue
        if "method" in table.columns:  # table 1: name the pair, its regime and the method
            regime = (", " + table["regime"].astype(str)) if "regime" in table.columns else ""
            table = table.assign(comparison=table["method"] + " − baseline (" + table["pair"] + regime + ")",
                                 difference=table["student − baseline"])
        lines = comparison_lines(table)
        parts.append(f"**{title}** (accuracy, points; preset `{meta.get('preset')}`, seeds {meta.get('seeds')}):\n\n"
                     + "\n".join(f"- {line}" for line in lines))
    return "\n\n".join(parts)
