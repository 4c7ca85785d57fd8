"""One style and one colour per method, defined once for every figure."""
from __future__ import annotations

from .paths import PACKAGE_DIR

STYLE_FILE = PACKAGE_DIR / "resources" / "w2s.mplstyle"

# One colour per method or model role (colour-blind-safe Okabe–Ito palette; the ceiling is black).
METHOD_COLORS: dict[str, str] = {
    "weak": "#999999",
    "ceiling": "#000000",
    "baseline": "#0072B2",
    "aux_conf": "#D55E00",
    "bootstrap": "#009E73",
    "generative": "#CC79A7",
    "aux_conf_openai": "#E69F00",
    "facilitation": "#E69F00",
    "debate": "#56B4E9",
    "alignment": "#F0E442",
    "full": "#882255",
    # judge protocols (table 2)
    "consultancy": "#CC79A7",
    "blind": "#999999",
    "oracle": "#000000",
    "retrieval": "#009E73",
}

# model states of figure 4 (concept saliency)
STATE_LABELS = {"before": "before training", "w2s": "after W2S training", "ceiling": "after ceiling training"}
STATE_COLORS = {"before": "#BBBBBB", "w2s": "#0072B2", "ceiling": "#000000"}  # W2S: the baseline's colour

DOMAIN_TITLES = {"nlp": "NLP tasks", "chess": "Chess puzzles", "reward_modeling": "Reward modeling"}


def color(method: str) -> str:
    """The colour of a method; unknown methods get a neutral grey rather than a crash."""
    return METHOD_COLORS.get(method, "#555555")


def use_style() -> None:
    import matplotlib.pyplot as plt

    plt.style.use(str(STYLE_FILE))
