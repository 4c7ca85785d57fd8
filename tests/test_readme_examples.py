"""The README's "Add a task" example, run as written: a new CSV, the card, then papermill alone."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

import nbformat
import pandas as pd
import pytest

from w2s_lib.data.registry import load_pool
from w2s_lib.paths import REPO_ROOT


def readme_examples() -> dict[str, str]:
    """Fenced blocks that follow a ``<!-- readme-example: NAME -->`` marker, by NAME."""
    text = (REPO_ROOT / "README.md").read_text()
    found = re.findall(r"<!-- readme-example: (\S+) -->\n```[a-z]*\n(.*?)```", text, flags=re.S)
    return dict(found)


@pytest.mark.slow
def test_the_add_a_task_example_runs_the_w2s_notebook_through_papermill_alone(tmp_path):
    examples = readme_examples()
    assert {"tasks/my_reviews.yaml", "command"} <= set(examples), "the README lost its example"
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "my_reviews.yaml").write_text(examples["tasks/my_reviews.yaml"])
    # a data file in the shape the README shows: our own sentences, its column names and values
    pool = load_pool("sentiment_tweets").head(600)
    pd.DataFrame({"review": pool["text"], "sentiment": pool["label"].map({0: "negative", 1: "positive"})}) \
        .to_csv(tasks / "my_reviews.csv", index=False)

    env = {**os.environ, "W2S_TASK_PATH": str(tasks)}  # the README's tasks/ folder, elsewhere
    bindir = os.path.dirname(sys.executable)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    lines = [ln for ln in examples["command"].splitlines() if ln.strip()]
    listed = subprocess.run(lines[0], shell=True, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert "my_reviews" in listed.stdout, listed.stderr

    command = shlex.split(lines[1])
    assert command[:2] == ["papermill", "notebooks/02_nlp_w2s.ipynb"]
    command[2] = str(tmp_path / "my_reviews.ipynb")  # the executed copy goes to the test's folder
    ran = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert ran.returncode == 0, ran.stderr[-3000:]
    executed = nbformat.read(tmp_path / "my_reviews.ipynb", as_version=4)
    outputs = "".join(str(o) for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert "my_reviews" in outputs and "Error" not in outputs
    table = pd.read_csv(os.environ["W2S_RESULTS"] + "/smoke/tables/table1_main.csv")
    assert table["task"].tolist() == ["my_reviews"] and table["student_acc"].between(0, 1).all()
