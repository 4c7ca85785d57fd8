"""Look at a debate: the passage with each side's quotes highlighted, round by round, who spoke
first, each quote's verification, and the judge's probabilities in both answer orders after
every round.

:func:`item_html` is plain HTML (it shows in an executed notebook without a kernel, and on
GitHub); :func:`debate_viewer` wraps it in ipywidgets to browse items, filtered by protocol, the
round shown and whether the judge was right.
"""
from __future__ import annotations

import html
from typing import Mapping, Sequence

from .experiment import record_score
from .items import DebateItem

SIDE_COLOURS = {"A": "#cfe3f7", "B": "#fbe1c6"}


def _judged(records: Sequence[dict], item_id: str) -> dict[int, dict]:
    return {r["order"]: r for r in records if r["id"] == item_id}


JUDGE_FILTERS = ("all items", "judge right", "judge wrong")


def judge_right(record: dict) -> bool | None:
    """Whether the judge favoured the correct answer in this record (None before it judged, or on a tie)."""
    if "p_answer" not in record:
        return None
    return {1.0: True, 0.0: False}.get(record_score(record))


def filtered_ids(records: Sequence[dict], which: str = "all items") -> list[str]:
    """Item ids of ``records``, all of them or those the judge got right (wrong) in both answer orders."""
    if which not in JUDGE_FILTERS:
        raise ValueError(f"unknown filter {which!r}; accepted: {', '.join(JUDGE_FILTERS)}")
    verdicts: dict[str, list] = {}
    for r in records:
        verdicts.setdefault(r["id"], []).append(judge_right(r))
    if which == "all items":
        return sorted(verdicts)
    wanted = which == "judge right"
    return sorted(i for i, v in verdicts.items() if all(x is wanted for x in v))


def _up_to(record: dict, round_: int | None) -> dict:
    """The record as it stood after ``round_`` (None: the whole debate), with the judge's belief then."""
    if round_ is None or not record["turns"]:
        return record
    turns = [t for t in record["turns"] if t["round"] <= round_]
    out = {**record, "turns": turns}
    by_round = record.get("p_a_by_round") or []
    if 1 <= round_ <= len(by_round):
        out["p_answer"] = [by_round[round_ - 1], 1 - by_round[round_ - 1]]
    return out


def item_html(item: DebateItem, records: Sequence[dict], title: str = "", up_to_round: int | None = None) -> str:
    """One item under one protocol: both orders side by side (records may carry ``p_answer`` and
    ``p_a_by_round``), up to ``up_to_round`` (None: every round)."""
    by_order = {o: _up_to(r, up_to_round) for o, r in _judged(records, item.id).items()}
    if not by_order:
        return f"<p>no transcript for item {html.escape(item.id)}</p>"
    first = by_order[min(by_order)]
    quoted: dict[int, list[str]] = {}
    for turn in first["turns"]:
        for q in turn["quotes"]:
            if q["sentence"] is not None:
                quoted.setdefault(q["sentence"], []).append(f"{'correct' if turn['answer'] == 0 else 'wrong'}"
                                                            f" r{turn['round']}")
    rows = []
    for i, sentence in enumerate(item.sentences):
        marks = quoted.get(i, [])
        colour = ("#d9f2d9" if all(m.startswith("correct") for m in marks) else
                  "#f7d9d9" if all(m.startswith("wrong") for m in marks) else "#eeeeee") if marks else "white"
        gold = " <b title='gold evidence'>★</b>" if i in item.gold_evidence else ""
        tag = f" <small>[{', '.join(marks)}]</small>" if marks else ""
        rows.append(f"<li style='background:{colour}'>{html.escape(sentence)}{gold}{tag}</li>")
    parts = ["<div style='font-family:sans-serif;font-size:13px;max-width:980px'>",
             f"<h4 style='margin:4px 0'>{html.escape(title)}</h4>" if title else "",
             f"<p><b>Question:</b> {html.escape(item.question)}<br>"
             f"<b>Correct:</b> {html.escape(item.answer_correct)} · <b>Wrong:</b> {html.escape(item.answer_distractor)}"
             f"</p><p><b>Passage</b> (the judge does not read it; green: quoted for the correct answer, red: "
             f"for the wrong one, ★ gold evidence)</p><ol start='0'>{''.join(rows)}</ol><table><tr>"]
    for order in sorted(by_order):
        rec = by_order[order]
        lines = [f"<b>order {order}</b>: A = {html.escape(rec['answers'][0])}, B = {html.escape(rec['answers'][1])}"]
        if rec.get("first_speaker"):
            opener = rec["first_speaker"]
            lines.append(f"opens: debater {opener} (the {'correct' if 'AB'.index(opener) == rec['correct'] else 'wrong'}"
                         " side)")
        beliefs = rec.get("p_a_by_round") or []
        if beliefs and up_to_round is None:
            lines.append("judge after each round: " + ", ".join(
                f"r{k + 1} P(A) = {p:.2f}" for k, p in enumerate(beliefs)))
        for turn in rec["turns"]:
            quotes = "".join(f"<li>{'✔' if q['verified'] else '✘ unverified'} “{html.escape(q['text'])}” "
                             f"<small>(3-gram overlap {q['overlap']:.2f})</small></li>" for q in turn["quotes"])
            lines.append(f"<div style='background:{SIDE_COLOURS[turn['side']]};margin:2px;padding:2px'>"
                         f"round {turn['round']}, debater {turn['side']}<ul>{quotes or '<li>(no quote)</li>'}</ul></div>")
        if "p_answer" in rec:
            pa, pb = rec["p_answer"]
            verdict = "✔" if (pa > pb) == (rec["correct"] == 0) else ("–" if pa == pb else "✘")
            lines.append(f"judge: P(A) = {pa:.2f}, P(B) = {pb:.2f} {verdict}")
        parts.append(f"<td style='vertical-align:top;padding:4px;width:50%'>{'<br>'.join(lines)}</td>")
    parts.append("</tr></table></div>")
    return "".join(parts)


def debate_viewer(items: Mapping[str, DebateItem], records_by_protocol: Mapping[str, Sequence[dict]]):
    """An ipywidgets browser: pick a protocol, which items (all, or where the judge was right or
    wrong in both orders), an item and the round to show; see :func:`item_html`."""
    import ipywidgets as widgets

    protocol = widgets.ToggleButtons(options=list(records_by_protocol), description="protocol")
    which = widgets.Dropdown(options=JUDGE_FILTERS, description="items")
    pick = widgets.Dropdown(options=[], description="item")
    most_rounds = max((t["round"] for recs in records_by_protocol.values() for r in recs for t in r["turns"]), default=0)
    round_ = widgets.IntSlider(value=most_rounds, min=min(1, most_rounds), max=most_rounds, description="up to round",
                               disabled=most_rounds == 0)
    count = widgets.Label()
    out = widgets.HTML()

    def choices(*_):
        ids = [i for i in filtered_ids(records_by_protocol[protocol.value], which.value) if i in items]
        count.value = f"{len(ids)} item(s)"
        pick.options = ids
        show()

    def show(*_):
        if not pick.value:
            out.value = "<p>no item matches</p>"
            return
        shown = None if round_.disabled or round_.value == most_rounds else round_.value
        out.value = item_html(items[pick.value], records_by_protocol[protocol.value], title=protocol.value,
                              up_to_round=shown)

    for w in (protocol, which):
        w.observe(choices, "value")
    for w in (pick, round_):
        w.observe(show, "value")
    choices()
    return widgets.VBox([widgets.HBox([protocol]), widgets.HBox([which, pick, count]), round_, out])
