"""Where things live, resolved from the package so notebooks run the same anywhere.

Every folder can be moved with an environment variable (``W2S_CACHE``, ``W2S_RESULTS``,
``W2S_BUILD``), which is how tests keep their artifacts out of the user's cache. A params file's
``results:`` name (say ``micro_seeds5``) reaches its notebooks as ``W2S_RESULTS_NAME`` and takes the
place of the preset's name under ``results/``.
"""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
RESOURCES_DIR = PACKAGE_DIR / "resources"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
PARAMS_DIR = REPO_ROOT / "params"


def _env_path(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value).expanduser().resolve() if value else default


def cache_dir() -> Path:
    """Root of the content-addressed artifact store."""
    return _env_path("W2S_CACHE", REPO_ROOT / "cache")


RESULTS_NAME_ENV = "W2S_RESULTS_NAME"


def results_dir(preset: str, name: str | None = None) -> Path:
    """``results/<name>/``: figures and tables of one preset's run, ``name`` being the params file's
    ``results:`` (``W2S_RESULTS_NAME`` in its notebooks), else the preset."""
    name = name or os.environ.get(RESULTS_NAME_ENV) or preset
    return _env_path("W2S_RESULTS", REPO_ROOT / "results") / name


def figures_dir(preset: str) -> Path:
    return results_dir(preset) / "figures"


def tables_dir(preset: str) -> Path:
    return results_dir(preset) / "tables"


def build_dir() -> Path:
    """Executed notebook copies (git-ignored)."""
    return _env_path("W2S_BUILD", REPO_ROOT / "build")
