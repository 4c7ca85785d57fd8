"""The package's layers, lowest first: a module imports only from its own layer or those below, and
no two modules import each other, directly or around a circle (``tests/test_layers.py`` checks
every import, those inside functions included, against this list).

The spine is Burns et al.'s weak-to-strong protocol with the paper's framework on top: data →
models → training → the pipeline's four roles → the methods → the grid → Φ, D, Ψ → tables →
figures → the notebooks' studies → the commands. Metrics are pure functions on arrays that every
layer scores with, so they sit at the bottom; the tables that summarize runs sit above everything
that produces runs.
"""
from __future__ import annotations

# (layer, modules): a module belongs to the first layer naming it or a package above it
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("package", ("w2s_lib",)),
    ("foundation", ("w2s_lib.layers", "w2s_lib.paths", "w2s_lib.locks", "w2s_lib.progress", "w2s_lib.fingerprint",
                    "w2s_lib.devices", "w2s_lib.provenance", "w2s_lib.seeding", "w2s_lib.config",
                    "w2s_lib.metrics")),
    ("storage", ("w2s_lib.store", "w2s_lib.checkpoint", "w2s_lib.saving")),
    ("data", ("w2s_lib.data",)),
    ("models", ("w2s_lib.models",)),
    ("training", ("w2s_lib.losses", "w2s_lib.training")),
    ("pipeline", ("w2s_lib.pipeline",)),       # the four roles: weak supervisor, labels, student, ceiling
    ("methods", ("w2s_lib.methods",)),         # baseline, aux-confidence, bootstrapping, generative
    ("grid", ("w2s_lib.grid",)),               # every (task, seed, pair, method)
    ("debate", ("w2s_lib.debate",)),           # D
    ("facilitation", ("w2s_lib.facilitation",)),  # Φ
    ("alignment", ("w2s_lib.alignment",)),     # Ψ
    ("ablation", ("w2s_lib.ablation",)),       # Φ, D, Ψ alone and combined: table 2's variants
    ("choices", ("w2s_lib.choices",)),         # the presets' settings, chosen on dev
    ("analyses", ("w2s_lib.analyses",)),
    ("tables", ("w2s_lib.tables",)),
    ("figures", ("w2s_lib.figure_style", "w2s_lib.figures")),
    ("findings", ("w2s_lib.findings",)),
    ("notebooks", ("w2s_lib.notebook_params", "w2s_lib.manifest", "w2s_lib.hub_access", "w2s_lib.parameters",
                   "w2s_lib.experiments", "w2s_lib.paper")),
    ("commands", ("w2s_lib.runner", "w2s_lib.cli", "w2s_lib.__main__")),
)


def layer_of(module: str) -> int:
    """The index in :data:`LAYERS` of ``module`` (a dotted name inside ``w2s_lib``); the most
    specific name wins, so ``w2s_lib.data.splits`` is data and ``w2s_lib`` alone is the package."""
    best, best_len = None, -1
    for index, (_, names) in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > best_len:
                best, best_len = index, len(name)
    if best is None:
        raise KeyError(f"module {module!r} is in no layer of w2s_lib.layers.LAYERS; add it where it belongs")
    return best
