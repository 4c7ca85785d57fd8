"""The README's "Add a task" example, run as written: a new CSV, the card, then papermill alone."""
from __future__ import annotations

import json
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


class ReadmeCommands:
    """A README command block run as written with ``tasks`` on the task path: its first line (a
    listing) at once, its second (a papermill run) by :meth:`papermill`, the executed copy
    going to ``executed`` instead of the README's build folder."""

    def __init__(self, block: str, tasks, executed):
        self.env = {**os.environ, "W2S_TASK_PATH": str(tasks)}  # the README's tasks/ folder, elsewhere
        self.env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + self.env.get("PATH", "")
        self.lines = [ln for ln in block.splitlines() if ln.strip()]
        self.executed = executed
        self.listed = subprocess.run(self.lines[0], shell=True, cwd=REPO_ROOT, env=self.env, capture_output=True,
                                     text=True, timeout=300)

    def papermill(self, notebook: str) -> subprocess.CompletedProcess:
        command = shlex.split(self.lines[1])
        assert command[:2] == ["papermill", notebook]
        command[2] = str(self.executed)
        return subprocess.run(command, cwd=REPO_ROOT, env=self.env, capture_output=True, text=True, timeout=900)


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

    run = ReadmeCommands(examples["command"], tasks, tmp_path / "my_reviews.ipynb")
    assert "my_reviews" in run.listed.stdout, run.listed.stderr

    ran = run.papermill("notebooks/02_nlp_w2s.ipynb")
    assert ran.returncode == 0, ran.stderr[-3000:]
    executed = nbformat.read(tmp_path / "my_reviews.ipynb", as_version=4)
    outputs = "".join(str(o) for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert "my_reviews" in outputs and "Error" not in outputs
    table = pd.read_csv(os.environ["W2S_RESULTS"] + "/smoke/tables/table1_main.csv")
    # one pair at smoke, as a probe and finetuned (the notebook's default `finetuned_pairs: largest`)
    assert table["task"].tolist() == ["my_reviews"] * 2 and sorted(table["regime"]) == ["finetuned", "probe"]
    assert table["student_acc"].between(0, 1).all()


def _readme_json_example(after: str) -> str:
    text = (REPO_ROOT / "README.md").read_text()
    return re.search(re.escape(after) + r".*?```json\n(.*?)```", text, flags=re.S).group(1)


@pytest.mark.slow
def test_the_debate_card_example_runs_the_debate_notebook_through_papermill_alone(tmp_path):
    examples = readme_examples()
    assert {"tasks/my_debates.yaml", "debate-command"} <= set(examples), "the README lost its debate example"
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "my_debates.yaml").write_text(examples["tasks/my_debates.yaml"])
    shown = json.loads(_readme_json_example("`tasks/my_debates.jsonl`:"))
    # items in the README's shape (its line first): our own WordNet debate items, their five columns only
    pool = load_pool("debate_wordnet").head(400)
    with open(tasks / "my_debates.jsonl", "w") as f:
        f.write(json.dumps(shown) + "\n")
        for row in pool[list(shown)].to_dict("records"):
            f.write(json.dumps(row) + "\n")
    # a params file in the task folder is skipped, not read as a broken card
    (tasks / "my_run.yaml").write_text("preset: micro\nnotebooks:\n  06_debate:\n    task: my_debates\n")

    run = ReadmeCommands(examples["debate-command"], tasks, tmp_path / "my_debates.ipynb")
    assert "my_debates" in run.listed.stdout and "Traceback" not in run.listed.stderr, run.listed.stderr
    assert "my_run.yaml" in run.listed.stderr and "skipped" in run.listed.stderr

    ran = run.papermill("notebooks/06_debate.ipynb")
    assert ran.returncode == 0, ran.stderr[-3000:]
    table = pd.read_csv(os.environ["W2S_RESULTS"] + "/smoke/tables/table2_framework.csv")
    assert set(table["task"]) == {"my_debates"} and {"debate", "blind"} <= set(table["variant"])
    assert table["acc"].between(0, 1).all()
