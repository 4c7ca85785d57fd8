"""A `w2s reproduce` that dies, however it dies, takes its notebooks' processes and kernels with it,
so that nothing computes on beside a restarted run."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import nbformat
import psutil
from nbformat.v4 import new_code_cell, new_notebook


def _sleeping_notebook(path, marker) -> None:
    """A notebook that starts a process of its own, writes the pids of its kernel, the kernel's
    parent (the runner's child) and that process to ``marker``, then sleeps far longer than the test."""
    nb = new_notebook(cells=[
        new_code_cell("preset = 'smoke'", metadata={"tags": ["parameters"]}),
        new_code_cell(textwrap.dedent(f"""
            import json, os, pathlib, subprocess, sys, time
            started = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
            pids = {{"kernel": os.getpid(), "notebook": os.getppid(), "started": started.pid}}
            pathlib.Path({str(marker)!r} + ".tmp").write_text(json.dumps(pids))
            os.replace({str(marker)!r} + ".tmp", {str(marker)!r})
            time.sleep(300)
        """))])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie lingers until whoever adopted it reaps it)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_sigkill_of_the_runner_leaves_no_notebook_or_kernel_running(tmp_path):
    books, marker = tmp_path / "notebooks", tmp_path / "pids.json"
    books.mkdir()
    _sleeping_notebook(books / "01_data.ipynb", marker)
    params = tmp_path / "mine.yaml"
    params.write_text("preset: smoke\nnotebooks:\n  01_data: {}\n")
    script = textwrap.dedent(f"""
        from pathlib import Path
        from w2s_lib import runner
        runner.NOTEBOOKS_DIR = Path({str(books)!r})
        runner.reproduce(params={str(params)!r}, live=False)
    """)
    output = tmp_path / "runner.out"
    with open(output, "w") as out:
        runner = subprocess.Popen([sys.executable, "-c", script], env=dict(os.environ), stdout=out,
                                  stderr=subprocess.STDOUT)
    pids: dict[str, int] = {}
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and runner.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert marker.exists(), f"the notebook's kernel never started:\n{output.read_text()}"
        pids = json.loads(marker.read_text())
        assert psutil.Process(pids["notebook"]).ppid() == runner.pid

        runner.send_signal(signal.SIGKILL)  # the runner alone, as the OOM killer would
        runner.wait(10)
        deadline = time.monotonic() + 10
        alive = list(pids.values())
        while alive and time.monotonic() < deadline:
            time.sleep(0.2)
            alive = [pid for pid in pids.values() if _running(pid)]
        left = {name: pid for name, pid in pids.items() if pid in alive}
        assert not left, f"still running 10 s after the runner's SIGKILL: {left}"
    finally:
        for pid in pids.values():  # a failed run must not leave sleepers behind
            with contextlib.suppress(psutil.Error):
                psutil.Process(pid).kill()
        if runner.poll() is None:
            runner.kill()
