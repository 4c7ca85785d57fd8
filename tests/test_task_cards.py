"""A task of one's own: a data file and a YAML card on the task path, no library code edited."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from w2s_lib import config
from w2s_lib.data import registry, task_cards
from w2s_lib.data.registry import TaskSpec, UnknownTaskError, get_task, load_pool, register_task
from w2s_lib.data.task_cards import TaskCardError
from w2s_lib.notebook_params import NLPW2SParams


@pytest.fixture
def task_dir(tmp_path, monkeypatch):
    """An empty folder on W2S_TASK_PATH; the registry forgets its cards afterwards."""
    folder = tmp_path / "tasks"
    folder.mkdir()
    monkeypatch.setenv("W2S_TASK_PATH", str(folder))
    registry.refresh_tasks()
    yield folder
    monkeypatch.delenv("W2S_TASK_PATH")
    registry.refresh_tasks()


def reviews_csv(path, n=400, column="review", label_column="verdict"):
    """Real sentences with two label values that are not 0/1."""
    pool = load_pool("sentiment").head(n)
    pd.DataFrame({column: pool["text"], label_column: pool["label"].map({0: "bad", 1: "good"})}).to_csv(
        path, index=False)
    return pool


def write_card(folder, text: str, name="reviews.yaml"):
    (folder / name).write_text(textwrap.dedent(text))
    registry.refresh_tasks()


CARD = """\
    name: my_reviews
    kind: binary
    domain: nlp
    data: reviews.csv
    columns: {text: review, label: verdict}
    labels: [bad, good]
    source: snippets exported for a test
    license: MIT
"""


def test_a_csv_and_a_card_make_a_task_with_renamed_columns_mapped_labels_and_content_ids(task_dir):
    original = reviews_csv(task_dir / "reviews.csv")
    write_card(task_dir, CARD)
    spec = get_task("my_reviews")
    assert (spec.domain, spec.kind, spec.license) == ("nlp", "binary", "MIT")
    pool = load_pool("my_reviews")
    assert list(pool["text"]) == list(original["text"]) and list(pool["label"]) == list(original["label"])
    assert pool["id"].is_unique and pool["id"].str.len().eq(16).all()
    # ids come from the content: the same row keeps its id when the file is reordered
    reordered = pd.read_csv(task_dir / "reviews.csv").iloc[::-1]
    reordered.to_csv(task_dir / "reviews.csv", index=False)
    again = load_pool("my_reviews").set_index("text")["id"]
    assert again.loc[pool["text"]].tolist() == pool["id"].tolist()


def test_editing_the_data_file_is_seen_by_the_running_process(task_dir):
    reviews_csv(task_dir / "reviews.csv", n=300)
    write_card(task_dir, CARD)
    assert len(load_pool("my_reviews")) == 300
    reviews_csv(task_dir / "reviews.csv", n=350)
    assert len(load_pool("my_reviews")) == 350


def test_the_task_reaches_check_params_and_w2s_tasks_in_other_processes(task_dir, tmp_path):
    reviews_csv(task_dir / "reviews.csv")
    write_card(task_dir, CARD)
    params = tmp_path / "mine.yaml"
    params.write_text("preset: smoke\nnotebooks:\n  02_nlp_w2s:\n    tasks: [my_reviews]\n")
    env = {**os.environ, "W2S_TASK_PATH": str(task_dir)}
    checked = subprocess.run([sys.executable, "-m", "w2s_lib", "check-params", str(params)], env=env,
                             capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    listed = subprocess.run([sys.executable, "-m", "w2s_lib", "tasks", "--json"], env=env,
                            capture_output=True, text=True, timeout=300)
    row = next(r for r in json.loads(listed.stdout) if r["name"] == "my_reviews")
    assert row["domain"] == "nlp" and row["pool"] == 400 and row["A"] > 0


def test_a_python_loader_can_stand_in_for_a_data_file(task_dir):
    (task_dir / "make_pairs.py").write_text(textwrap.dedent("""\
        import pandas as pd

        def load():
            return pd.DataFrame({"id": ["p1", "p2", "p3"], "text_a": ["good", "fine", "great"],
                                 "text_b": ["bad", "poor", "awful"], "label": [1, 1, 1]})
    """))
    write_card(task_dir, "name: my_pairs\nkind: pairwise\ndomain: reward_modeling\nloader: make_pairs.py:load\n")
    assert load_pool("my_pairs")["id"].tolist() == ["p1", "p2", "p3"]


@pytest.mark.parametrize("card,data,message", [
    ("name: t\ndata: x.csv\ncolums: {text: a}\n", "text,label\na,1\n", "colums: unknown key; accepted: name"),
    ("name: t\ndata: missing.csv\n", None, "data: "),
    ("name: t\n", None, "give exactly one of 'data'"),
    ("name: t\ndata: x.csv\nkind: ranking\n", "text,label\na,1\n", "kind: Input should be"),
    ("name: sentiment\ndata: x.csv\n", "text,label\na,1\n", "task 'sentiment' already exists"),
])
def test_a_bad_card_is_reported_with_its_path_and_the_key(task_dir, card, data, message):
    if data is not None:
        (task_dir / "x.csv").write_text(data)
    (task_dir / "t.yaml").write_text(card)
    with pytest.warns(UserWarning, match="task card set aside"):
        registry.refresh_tasks()
    err = task_cards.card_problems()[str(task_dir / "t.yaml")]
    assert str(task_dir / "t.yaml") in str(err) and message in str(err)
    if "already exists" not in message:  # asking for the broken card's task gives its error
        with pytest.raises(TaskCardError, match=message.replace("(", "\\(").replace("[", "\\[")):
            get_task("t")
    (task_dir / "t.yaml").unlink()


def test_a_params_file_on_the_task_path_is_skipped_and_a_broken_card_hides_no_other(task_dir, tmp_path):
    reviews_csv(task_dir / "reviews.csv")
    (task_dir / "reviews.yaml").write_text(textwrap.dedent(CARD))
    (task_dir / "my_run.yaml").write_text("preset: micro\nnotebooks:\n  06_debate:\n    task: my_reviews\n")
    (task_dir / "broken.yaml").write_text("name: broken\ndata: nowhere.csv\n")
    with pytest.warns(UserWarning, match="broken.yaml"):
        registry.refresh_tasks()
    assert get_task("my_reviews").kind == "binary"
    assert "looks like a params file" in task_cards.card_notes()[str(task_dir / "my_run.yaml")]
    with pytest.raises(TaskCardError, match="nowhere.csv does not exist"):
        get_task("broken")
    with pytest.raises(UnknownTaskError, match="set aside for errors.*broken.yaml"):
        get_task("brokn")

    listed = subprocess.run([sys.executable, "-m", "w2s_lib", "tasks"], capture_output=True, text=True,
                            env={**os.environ, "W2S_TASK_PATH": str(task_dir)}, timeout=300)
    assert listed.returncode == 1 and "Traceback" not in listed.stderr
    assert "my_reviews" in listed.stdout and "sentiment" in listed.stdout
    lines = listed.stderr.strip().splitlines()
    assert any(ln.startswith("note: ") and "my_run.yaml" in ln and "skipped" in ln for ln in lines), listed.stderr
    assert any(ln.startswith("task card set aside: ") and "broken.yaml" in ln for ln in lines), listed.stderr


@pytest.mark.parametrize("data,message", [
    ("message,label\nhello,1\n", "no column(s) ['text']"),
    ("text,label\nhello,spam\nbye,ham\n", "are not 0/1; say which value means 0"),
    ("text,label\nhello,1\nhello,0\n", "share their input but not their label"),
    ("text,label\nhello,1\n,0\n", "have an empty value"),
])
def test_bad_data_is_reported_when_loaded_naming_what_to_fix(task_dir, data, message):
    (task_dir / "x.csv").write_text(data)
    write_card(task_dir, "name: t\ndata: x.csv\n", name="t.yaml")
    with pytest.raises(TaskCardError, match="t.yaml") as err:
        load_pool("t")
    assert message in str(err.value)


def test_repeated_identical_rows_are_kept_once(task_dir):
    (task_dir / "x.csv").write_text("text,label\nhello,1\nhello,1\nbye,0\n")
    write_card(task_dir, "name: t\ndata: x.csv\n", name="t.yaml")
    assert load_pool("t")["text"].tolist() == ["hello", "bye"]


def test_registering_an_equal_spec_again_is_fine_and_a_different_one_is_not():
    def load():
        return pd.DataFrame({"id": ["a"], "text": ["x"], "label": [1]})

    first = register_task(TaskSpec("cell_task", "nlp", "binary", "here", "MIT", load))

    def load():  # noqa: F811 - the same cell run again defines the function anew
        return pd.DataFrame({"id": ["a"], "text": ["y"], "label": [1]})

    register_task(TaskSpec("cell_task", "nlp", "binary", "here", "MIT", load))
    assert load_pool("cell_task")["text"].tolist() == ["y"]
    with pytest.raises(ValueError, match="different spec \\(domain: 'nlp' -> 'chess'\\)"):
        register_task(TaskSpec("cell_task", "chess", "binary", "here", "MIT", load))
    registry.REGISTRY.pop(first.name)


def test_the_unknown_task_error_says_how_to_add_a_task():
    with pytest.raises(UnknownTaskError, match="put a task card \\(YAML\\) beside its data file in tasks/"):
        get_task("my_own_data")
    with pytest.raises(config.ConfigError, match="W2S_TASK_PATH"):
        config.validate(NLPW2SParams, {"tasks": ["nope"]})


def test_unquoted_yes_and_no_label_values_work_although_yaml_reads_them_as_booleans(task_dir):
    """`labels: [no, yes]` reaches the card as [False, True]; the data's "no"/"yes" still map to 0/1."""
    pool = load_pool("sentiment").head(300)
    pd.DataFrame({"review": pool["text"], "verdict": pool["label"].map({0: "no", 1: "Yes"})}).to_csv(
        task_dir / "reviews.csv", index=False)
    write_card(task_dir, CARD.replace("labels: [bad, good]", "labels: [no, yes]"))
    assert list(load_pool("my_reviews")["label"]) == list(pool["label"])


def test_a_small_pool_gets_splits_it_can_fill(task_dir):
    """The hash-based test pool of a small task can hold fewer rows than 20 %: the preset's sizes
    shrink to what there is instead of failing mid-notebook."""
    from w2s_lib.data.splits import make_splits, sizes_for_preset, test_pool_mask

    reviews_csv(task_dir / "reviews.csv", n=800)
    write_card(task_dir, CARD.replace("name: my_reviews", "name: reviews_4"))  # its hash split: 140 test rows
    pool = load_pool("reviews_4")
    in_test = int(test_pool_mask("reviews_4", pool["id"]).sum())
    assert in_test < int(800 * 0.2 * 0.95)  # below the 19 % the sizes used to assume
    sizes = sizes_for_preset("reviews_4", "smoke")
    assert sizes.n_test == in_test
    splits = make_splits("reviews_4", seed=0, sizes=sizes)
    splits.assert_disjoint()
    assert len(splits.test) == sizes.n_test


DEBATE_CARD = "name: my_debates\nkind: debate\ndomain: debate\ndata: items.jsonl\n"


def _debate_items(folder, items):
    with open(folder / "items.jsonl", "w") as f:
        for item in items:
            f.write(json.dumps(item) + "\n")


def _item(i, **changes):
    return {"question": f"Which animal barks, number {i}?", "sentences": ["A cat meows.", "A dog barks."],
            "answer_correct": "dog", "answer_distractor": "cat", "gold_evidence": [1], **changes}


def test_a_debate_card_gets_its_passage_and_binary_view_derived(task_dir):
    _debate_items(task_dir, [_item(i) for i in range(40)])
    write_card(task_dir, DEBATE_CARD, name="my_debates.yaml")
    pool = load_pool("my_debates")
    assert get_task("my_debates").kind == "debate" and len(pool) == 40
    assert pool["passage"].iloc[0] == "A cat meows. A dog barks." and pool["sentences"].iloc[0] == ["A cat meows.", "A dog barks."]
    assert 5 < pool["label"].sum() < 35, "a coin per item picks which answer the binary view proposes"
    proposed = pool["candidate"].where(pool["label"] == 1, None).dropna()
    assert (proposed == "dog").all() and (pool.loc[pool["label"] == 0, "candidate"] == "cat").all()
    assert pool["text"].iloc[0].startswith("Question: Which animal barks")
    assert load_pool("my_debates").equals(pool), "derived columns are the same on every read"


def test_bad_debate_items_are_reported_all_at_once_with_their_rows(task_dir):
    _debate_items(task_dir, [_item(0), _item(1, gold_evidence=[2]), _item(2, answer_distractor="Dog"),
                             _item(3, sentences="A dog barks."), _item(4, sentences=["A dog barks.", ""])])
    write_card(task_dir, DEBATE_CARD, name="my_debates.yaml")
    with pytest.raises(TaskCardError) as err:
        load_pool("my_debates")
    message = str(err.value)
    assert "my_debates.yaml" in message and "4 problem(s)" in message, message
    assert "row 2: gold_evidence [2] out of range: the item has 2 sentences" in message
    assert "row 3: answer_correct and answer_distractor are the same" in message
    assert "row 4: sentences must be a list" in message and "row 5: sentences must be a non-empty list" in message


def test_a_debate_item_whose_gold_never_names_the_answer_is_warned_about(task_dir):
    _debate_items(task_dir, [_item(0), _item(1, gold_evidence=[0])])
    write_card(task_dir, DEBATE_CARD, name="my_debates.yaml")
    with pytest.warns(UserWarning, match="in 1 of 2 debate item\\(s\\) no gold sentence names the correct answer \\(rows 2\\)"):
        load_pool("my_debates")
