"""Where things live, resolved from the package so notebooks run the same anywhere.

Every folder can be moved with an environment variable (``W2S_CACHE``, ``W2S_RESULTS``,
``W2S_BUILD``), which is how tests keep their artifacts out of the user's cache.
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


def results_dir(preset: str) -> Path:
    """``results/<preset>/``: figures and tables of one preset."""
    return _env_path("W2S_RESULTS", REPO_ROOT / "results") / preset


def figures_dir(preset: str) -> Path:
    return results_dir(preset) / "figures"


def tables_dir(preset: str) -> Path:
    return results_dir(preset) / "tables"


def build_dir() -> Path:
    """Executed notebook copies (git-ignored)."""
    return _env_path("W2S_BUILD", REPO_ROOT / "build")
