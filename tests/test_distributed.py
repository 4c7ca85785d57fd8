"""Beyond one process: the engine trains data-parallel over gloo and gets where one process gets."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
TOLERANCE = 0.10  # accuracy points between 1 and 2 processes (different dropout draws, batch halves)


def _torchrun(*args, env=None, nproc=2):
    torchrun = shutil.which("torchrun", path=os.path.dirname(sys.executable))
    return subprocess.run([torchrun, "--nproc_per_node", str(nproc), *args], capture_output=True, text=True,
                          timeout=600, env=env)


@pytest.mark.slow
def test_two_cpu_processes_train_the_classifier_as_well_as_one(tmp_path):
    model = tmp_path / "model"
    subprocess.run([sys.executable, str(HERE / "ddp_train.py"), "--make-model", str(model)], check=True)
    one = subprocess.run([sys.executable, str(HERE / "ddp_train.py"), str(model), str(tmp_path / "one.json")],
                         capture_output=True, text=True, timeout=600)
    assert one.returncode == 0, one.stderr[-2000:]
    two = _torchrun(str(HERE / "ddp_train.py"), str(model), str(tmp_path / "two.json"))
    assert two.returncode == 0, two.stderr[-2000:]
    a, b = (json.loads((tmp_path / f).read_text()) for f in ("one.json", "two.json"))
    assert (a["processes"], b["processes"]) == (1, 2)
    assert a["acc"] > 0.85 and abs(a["acc"] - b["acc"]) <= TOLERANCE, (a, b)


@pytest.mark.slow
def test_a_grid_trained_by_two_processes_is_read_back_by_one(tmp_path):
    env = {**os.environ, "W2S_CACHE": str(tmp_path / "cache"), "TQDM_DISABLE": "1"}
    ran = _torchrun("-m", "w2s_lib", "grid", "--preset", "smoke", env=env)
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "2 runs stored" in ran.stdout and ran.stdout.count("runs stored") == 1, "one process reports"
    check = subprocess.run([sys.executable, "-c", (  # the probe and the finetuned regime (smoke's 02 default)
        "from w2s_lib.store import default_store; from w2s_lib.grid import run_grid; "
        "run_grid(['sentiment'], 'smoke', [0], 'smoke', finetuned='largest'); print(len(default_store().built))")],
        capture_output=True, text=True, env=env, timeout=300)
    assert check.stdout.strip() == "0", check.stderr[-2000:]
