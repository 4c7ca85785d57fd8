"""`w2s reproduce --jobs 2`: notebooks whose inputs allow run side by side, and what they share
(tables, figures) comes out as a run one at a time would leave it."""
from __future__ import annotations

import multiprocessing
import time

import nbformat
import pandas as pd
from nbformat.v4 import new_code_cell, new_notebook

from w2s_lib import runner
from w2s_lib.data.registry import DOMAINS
from w2s_lib.saving import merge_table, update_table

MICRO = ["00_overview", "01_data", "02_nlp_w2s", "03_chess_w2s", "04_reward_modeling_w2s",
         "05_facilitation", "06_debate", "07_alignment", "08_analyses", "09_paper"]


def test_what_waits_for_what():
    needs = {stem: runner.prerequisites(stem, MICRO) for stem in MICRO}
    assert needs["00_overview"] == needs["01_data"] == set()
    assert needs["02_nlp_w2s"] == needs["03_chess_w2s"] == needs["05_facilitation"] == {"01_data"}
    assert needs["06_debate"] == {"05_facilitation"}
    assert needs["08_analyses"] == {"02_nlp_w2s", "03_chess_w2s", "04_reward_modeling_w2s"}
    assert needs["09_paper"] == set(MICRO[:-1])
    # only what this run holds: alone, 06 waits for nothing
    assert runner.prerequisites("06_debate", ["06_debate", "09_paper"]) == set()


def test_the_longest_chains_start_first():
    needs = {stem: runner.prerequisites(stem, MICRO) for stem in MICRO}
    seconds = dict.fromkeys(MICRO, 10.0) | {"05_facilitation": 200.0, "02_nlp_w2s": 250.0}
    length = runner.chain_lengths(needs, seconds)
    assert length["09_paper"] == 10.0
    assert length["06_debate"] == 10.0 + 10.0 + 10.0            # 06, 07, 09
    assert length["05_facilitation"] == 200.0 + 30.0
    assert length["02_nlp_w2s"] == 250.0 + 10.0 + 10.0          # 02, 08, 09
    assert length["01_data"] == 10.0 + 270.0                     # the longest chain after it: 02


def test_the_start_order_does_not_leave_a_short_notebook_alone_at_the_end():
    needs = {stem: set() for stem in "abcde"}
    seconds = {"a": 3.0, "b": 3.0, "c": 2.0, "d": 2.0, "e": 2.0}
    # longest first: a, b together, then c, d, then e alone
    assert runner.simulated_end(needs, seconds, runner.chain_lengths(needs, seconds), jobs=2) == 7.0
    assert runner.simulated_end(needs, seconds, runner.start_priorities(needs, seconds, jobs=2), jobs=2) == 6.0


def test_the_micro_run_ends_sooner_in_the_chosen_order():
    stems = MICRO[:2] + ["01_dev_choices"] + MICRO[2:]
    needs = {stem: runner.prerequisites(stem, stems) for stem in stems}
    seconds = dict(zip(stems, [7.0, 25.0, 123.0, 430.0, 231.0, 158.0, 402.0, 44.0, 129.0, 125.0, 18.0]))
    longest_first = runner.simulated_end(needs, seconds, runner.chain_lengths(needs, seconds), jobs=2)
    chosen = runner.simulated_end(needs, seconds, runner.start_priorities(needs, seconds, jobs=2), jobs=2)
    assert longest_first == 924.0 and chosen < 900.0  # (measured: 15:25 cold with the first order)
    # a notebook always starts after what it needs, whatever the order
    assert runner.simulated_end(needs, seconds, dict.fromkeys(stems, 0.0), jobs=2) >= \
        seconds["01_data"] + seconds["02_nlp_w2s"] + seconds["08_analyses"] + seconds["09_paper"]


def _notebook(path, code: str) -> None:
    nb = new_notebook()
    nb.cells = [new_code_cell("preset = 'smoke'\ntasks = []\nn_examples = 3\nseed = 0",
                              metadata={"tags": ["parameters"]}), new_code_cell(code)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def _intervals(tmp_path, monkeypatch, jobs: int) -> dict[str, tuple[float, float]]:
    books = tmp_path / f"notebooks{jobs}"
    books.mkdir()
    marks = tmp_path / f"marks{jobs}"
    marks.mkdir()
    # each notebook marks its start, then waits (at most `wait` s) for the other's start mark, so
    # that two running side by side overlap however slowly the second kernel starts
    wait = 120 if jobs > 1 else 2
    for stem, other in (("00_overview", "01_data"), ("01_data", "00_overview")):
        _notebook(books / f"{stem}.ipynb",
                  f"import time, pathlib\nstart = time.time()\n"
                  f"pathlib.Path({str(marks / stem)!r} + '.start').touch()\n"
                  f"while not pathlib.Path({str(marks / other)!r} + '.start').exists() and time.time() < start + {wait}:\n"
                  f"    time.sleep(0.05)\n"
                  f"pathlib.Path({str(marks / stem)!r}).write_text(f'{{start}} {{time.time()}}')")
    params = tmp_path / f"two_{jobs}.yaml"
    params.write_text(f"preset: smoke\njobs: {jobs}\nnotebooks:\n  00_overview: {{}}\n  01_data: {{}}\n")
    monkeypatch.setattr(runner, "NOTEBOOKS_DIR", books)
    log = []
    assert runner.reproduce(params=params, log=log.append) == []
    assert [line for line in log if line.endswith("...")] == ["[1/2] 00_overview ...", "[2/2] 01_data ..."]
    return {stem: tuple(map(float, (marks / stem).read_text().split())) for stem in ("00_overview", "01_data")}


def test_two_jobs_run_independent_notebooks_at_once_and_one_job_does_not(tmp_path, monkeypatch):
    (a0, a1), (b0, b1) = _intervals(tmp_path, monkeypatch, jobs=2).values()
    assert a0 < b1 and b0 < a1, "with 2 jobs the two notebooks overlap"
    (a0, a1), (b0, b1) = _intervals(tmp_path, monkeypatch, jobs=1).values()
    assert a1 <= b0, "with 1 job the second starts after the first"


def test_a_killed_notebook_process_is_a_failure_that_names_its_log(tmp_path, monkeypatch):
    books = tmp_path / "notebooks"
    books.mkdir()
    _notebook(books / "01_data.ipynb", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)")
    params = tmp_path / "mine.yaml"
    params.write_text("preset: smoke\nnotebooks:\n  01_data: {}\n")
    monkeypatch.setattr(runner, "NOTEBOOKS_DIR", books)
    failures = runner.reproduce(params=params, log=lambda *_: None)
    assert [f.notebook for f in failures] == ["01_data"]
    assert "status" in failures[0].error and "01_data.log" in failures[0].error


def _rows(domain: str, value: float) -> pd.DataFrame:
    return pd.DataFrame({"domain": [domain] * 2, "task": [f"{domain}_task"] * 2, "method": ["baseline", "aux_conf"],
                         "pgr": [value, value + 1]})


def test_shared_tables_keep_the_domain_order_whoever_finishes_first():
    keys = ["domain", "task", "method"]
    for first, second in (("nlp", "chess"), ("chess", "nlp")):
        update_table(_rows("reward_modeling", 0.1), f"t_{first}", preset="smoke", replace_on=keys, order=DOMAINS)
        update_table(_rows(first, 0.2), f"t_{first}", preset="smoke", replace_on=keys, order=DOMAINS)
        table = update_table(_rows(second, 0.3), f"t_{first}", preset="smoke", replace_on=keys, order=DOMAINS)
        assert list(table["domain"]) == ["nlp", "nlp", "chess", "chess", "reward_modeling", "reward_modeling"]
        assert list(table["method"]) == ["baseline", "aux_conf"] * 3   # each notebook's own order kept
    mixed = merge_table(_rows("zeta", 0.4), "t_nlp", preset="smoke", replace_on=keys, order=DOMAINS)
    assert list(mixed["domain"])[-2:] == ["zeta", "zeta"]            # values not listed go last


def _writer(domain: str, rounds: int) -> None:
    for i in range(rounds):
        update_table(_rows(domain, float(i)), "shared", preset="smoke", replace_on=["domain", "task", "method"],
                     order=DOMAINS)
        time.sleep(0.001)


def test_two_processes_updating_one_table_lose_no_rows():
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(domain, 30)) for domain in ("nlp", "chess", "debate")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    table = pd.read_csv(runner.results_dir("smoke") / "tables" / "shared.csv")
    assert list(table["domain"]) == ["nlp", "nlp", "chess", "chess", "debate", "debate"]
    assert set(table["pgr"]) == {29.0, 30.0}


def test_08_reads_and_waits_for_exactly_the_runs_tables_it_analyses():
    """A table 08 does not read must not enter its inputs: runs_framework changes while 08 runs
    beside 07, and would make every warm run execute 08 again."""
    from w2s_lib import manifest

    runs_tables = manifest.analysed_runs()
    assert set(runs_tables) == {"runs_nlp", "runs_chess", "runs_rm"}
    assert set(manifest.read_tables("08_analyses")) == {f"{name}.csv" for name in runs_tables}
    assert runner.prerequisites("08_analyses", MICRO) == set(runs_tables.values())


def test_stopping_the_runner_stops_its_notebooks_and_their_kernels(tmp_path):
    """SIGTERM (or Ctrl-C) to `w2s reproduce` leaves no notebook process or kernel running on."""
    import os
    import signal
    import subprocess
    import sys
    import textwrap

    books = tmp_path / "notebooks"
    books.mkdir()
    marks = tmp_path / "marks"
    marks.mkdir()
    for stem in ("00_overview", "01_data"):
        _notebook(books / f"{stem}.ipynb", f"import os, pathlib, time\n"
                                           f"pathlib.Path({str(marks / stem)!r}).write_text(str(os.getpid()))\n"
                                           f"time.sleep(300)")
    params = tmp_path / "mine.yaml"
    params.write_text("preset: smoke\njobs: 2\nnotebooks:\n  00_overview: {}\n  01_data: {}\n")
    script = textwrap.dedent(f"""
        from pathlib import Path
        from w2s_lib import runner
        runner.NOTEBOOKS_DIR = Path({str(books)!r})
        runner.reproduce(params={str(params)!r}, live=False)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], env=dict(os.environ))
    deadline = time.monotonic() + 120
    while len(list(marks.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    kernels = [int((marks / stem).read_text()) for stem in ("00_overview", "01_data")]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) != 0
    deadline = time.monotonic() + 30
    alive = kernels
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in kernels if _running(pid)]
        time.sleep(0.2)
    assert not alive, f"kernels still running: {alive}"


def _running(pid: int) -> bool:
    from pathlib import Path

    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return not stat[stat.rfind(")") + 2:].startswith("Z")
