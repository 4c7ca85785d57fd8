"""The kill script's bookkeeping: where a kill lands when notebooks run side by side, or when a
rerun skips the notebook a kill is anchored to because the store already holds its work."""
from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


@pytest.fixture(scope="module")
def kill_resume():
    sys.path.insert(0, str(SCRIPTS))
    try:
        spec = importlib.util.spec_from_file_location("kill_resume", SCRIPTS / "kill_resume.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(SCRIPTS))


class _Running:
    """A run that ends by itself after ``seconds`` (exit 0)."""

    def __init__(self, seconds: float = 3.0):
        self.ends = time.perf_counter() + seconds

    def poll(self):
        return 0 if time.perf_counter() >= self.ends else None


def test_a_moment_is_the_last_started_notebook_and_an_offset(kill_resume):
    starts = {"01_data": 7.6, "00_overview": 7.6, "02_nlp_w2s": 27.7, "05_facilitation": 27.7,
              "04_reward_modeling_w2s": 351.4}
    assert kill_resume.anchor(5.0, starts) == ("", 5.0)
    assert kill_resume.anchor(400.0, starts) == ("04_reward_modeling_w2s", 48.6)


def test_the_notebooks_running_side_by_side_are_named(kill_resume, tmp_path):
    log = tmp_path / "attempt.log"
    log.write_text("[2/10] 01_data ...\n[1/10] 00_overview up to date (inputs ...)\n[2/10] 01_data ok (17 s)\n"
                   "[3/10] 02_nlp_w2s ...\n[6/10] 05_facilitation ...\n")
    assert kill_resume.running_notebook(log) == "02_nlp_w2s + 05_facilitation"
    log.write_text(log.read_text() + "[3/10] 02_nlp_w2s ok (4:43)\n[6/10] 05_facilitation ok (5:15)\n")
    assert kill_resume.running_notebook(log) == "after 05_facilitation"


def test_a_kill_anchored_to_a_notebook_skipped_as_up_to_date_still_lands(kill_resume, tmp_path):
    log = tmp_path / "attempt.log"
    log.write_text("[6/10] 05_facilitation up to date (inputs and outputs unchanged since its last run)\n")
    start = time.perf_counter()
    assert kill_resume.wait_for_moment(_Running(), log, "05_facilitation", 0.3) is None
    assert time.perf_counter() - start >= 0.3


def test_a_progress_kill_waits_for_the_store_to_grow_past_its_mark(kill_resume, tmp_path):
    import threading

    def store(n):
        for i in range(n):
            folder = tmp_path / "cache" / "features" / f"features-{i}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "manifest.json").write_text("{}")

    store(5)   # already past the mark of 3, but nothing new yet: a kill now would redo nothing
    assert kill_resume.wait_for_artifacts(_Running(1.0), tmp_path, 3) == 0
    threading.Timer(0.3, store, args=(6,)).start()
    assert kill_resume.wait_for_artifacts(_Running(5.0), tmp_path, 3) is None
