"""Look at a debate: the passage with each side's quotes highlighted, round by round, the
verification marks, and the judge's probabilities in both answer orders.

:func:`item_html` is plain HTML (it shows in an executed notebook without a kernel, and on
GitHub); :func:`debate_viewer` wraps it in ipywidgets to browse items and protocols.
"""
from __future__ import annotations

import html
from typing import Mapping, Sequence

from .items import DebateItem

SIDE_COLOURS = {"A": "#cfe3f7", "B": "#fbe1c6"}


def _judged(records: Sequence[dict], item_id: str) -> dict[int, dict]:
    return {r["order"]: r for r in records if r["id"] == item_id}


def item_html(item: DebateItem, records: Sequence[dict], title: str = "") -> str:
    """One item under one protocol: both orders side by side (records may carry ``p_answer``)."""
    by_order = _judged(records, item.id)
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
    """An ipywidgets browser: pick an item and a protocol, see :func:`item_html`."""
    import ipywidgets as widgets

    ids = sorted({r["id"] for recs in records_by_protocol.values() for r in recs} & set(items))
    pick = widgets.Dropdown(options=ids, description="item")
    protocol = widgets.ToggleButtons(options=list(records_by_protocol), description="protocol")
    out = widgets.HTML()

    def show(*_):
        out.value = item_html(items[pick.value], records_by_protocol[protocol.value], title=protocol.value)

    pick.observe(show, "value")
    protocol.observe(show, "value")
    show()
    return widgets.VBox([widgets.HBox([pick, protocol]), out])
