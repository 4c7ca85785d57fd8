"""Transcripts: what each debater said in each round, with every quote checked.

One JSON record per item and answer order (the same arguments, shown with the answers as
(A, B) in both orders), naming the side that spoke first (``first_speaker``). Transcripts are artifacts, written in shards of ``SHARD`` items, so an
interrupted run keeps every finished shard and resumes from the next one.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from ..progress import progress
from ..store import ArtifactSpec, ArtifactStore, default_store
from .items import ORDERS, DebateItem, items_fingerprint
from .protocols import Protocol
from .quotes import extract_quotes, mark_quotes, verify_quote

TRANSCRIPTS_VERSION = 2  # 2: each side opens on half the items; the record names who opened
SHARD = 256
SIDES = "AB"


def _limit_quotes(argument: str, k: int) -> str:
    """Keep the first ``k`` quotes of an argument; later ones are cut (a round shows at most k)."""
    seen = 0

    def keep(match) -> str:
        nonlocal seen
        seen += 1
        return match.group(0) if seen <= k else "[quote withheld: over this round's limit]"

    from .quotes import QUOTE_TAG

    return QUOTE_TAG.sub(keep, argument)


def _debate_shard(items: Sequence[DebateItem], debater, protocol: Protocol, seed: int) -> list[dict]:
    """The turns of every item (by answer, not yet by position), round by round."""
    turns: dict[str, list[dict]] = {item.id: [] for item in items}
    if not protocol.has_debaters:
        return [{"item": item, "turns": []} for item in items]
    speakers = {item.id: protocol.speakers(item, seed) for item in items}
    for round_ in range(1, protocol.rounds + 1):
        for slot in range(max(len(s) for s in speakers.values())):
            group = [item for item in items if slot < len(speakers[item.id])]
            answers = [speakers[item.id][slot] for item in group]
            arguments = debater.argue(group, answers, [turns[item.id] for item in group],
                                      protocol.quotes_per_round, round_)
            for item, answer, argument in zip(group, answers, arguments):
                argument = _limit_quotes(argument, protocol.quotes_per_round)
                checks = [verify_quote(q, item.sentences) for q in extract_quotes(argument)]
                turns[item.id].append({"round": round_, "answer": answer, "argument": argument,
                                       "quotes": [c.as_record() for c in checks]})
    return [{"item": item, "turns": turns[item.id]} for item in items]


def _records(entry: dict, protocol: Protocol) -> list[dict]:
    item: DebateItem = entry["item"]
    out = []
    for order in ORDERS:
        shown = item.shown(order)
        turns = [{**t, "side": SIDES[shown.index(t["answer"])],
                  "marked": mark_quotes(t["argument"], [_check(q) for q in t["quotes"]])}
                 for t in entry["turns"]]
        out.append({"id": item.id, "order": order, "protocol": protocol.name, "question": item.question,
                    "answers": [item.answer(w) for w in shown], "correct": item.correct_position(order),
                    "first_speaker": turns[0]["side"] if turns else None, "turns": turns, "passage": item.passage if protocol.reads_passage else None,
                    "passage_sentences": list(item.sentences) if protocol.reads_passage else None,
                    "gold_evidence": list(item.gold_evidence), "n_sentences": len(item.sentences)})
    return out


def _check(record: dict):
    from .quotes import QuoteCheck

    return QuoteCheck(**record)


def _shard_spec(part: Sequence[DebateItem], debater, protocol: Protocol, seed: int) -> ArtifactSpec:
    return ArtifactSpec("debate_transcripts", TRANSCRIPTS_VERSION,
                        {"protocol": protocol.key(), "debater": debater.key() if protocol.has_debaters else None,
                         "items": items_fingerprint(part), "n": len(part)},
                        # a seed changes transcripts only through the consultant's side or sampling
                        seed=seed if protocol.name == "consultancy" or (
                            protocol.has_debaters and getattr(debater, "stochastic", False)) else None)


def writing_seconds(items: Sequence[DebateItem], debater, protocol: Protocol, seed: int,
                    store: ArtifactStore | None = None, shard: int = SHARD) -> float:
    """How long the stored transcripts of ``items`` took to write when they were built (the shards'
    recorded build times): the debaters' cost, the same however often the run is repeated."""
    store = store or default_store()
    debater = protocol.debater_for(debater)
    total = 0.0
    for start in range(0, len(items), shard):
        art = store.get(_shard_spec(list(items[start: start + shard]), debater, protocol, seed))
        total += float((art.manifest.get("provenance") or {}).get("wall_time_s", float("nan"))) if art else float("nan")
    return total


def transcripts(items: Sequence[DebateItem], debater, protocol: Protocol, seed: int,
                store: ArtifactStore | None = None, shard: int = SHARD) -> list[dict]:
    """Records for every item in both orders, read from the store or produced shard by shard."""
    store = store or default_store()
    debater = protocol.debater_for(debater)
    records: list[dict] = []
    starts = range(0, len(items), shard)
    for start in progress(starts, desc=f"{protocol.name} transcripts", disable=len(starts) < 2):
        part = list(items[start: start + shard])
        spec = _shard_spec(part, debater, protocol, seed)

        def build(tmp: Path, part=part) -> dict:
            rows = [r for entry in _debate_shard(part, debater, protocol, seed) for r in _records(entry, protocol)]
            with open(tmp / "transcripts.jsonl", "w") as f:
                for row in rows:
                    f.write(json.dumps(row, ensure_ascii=False) + "\n")
            return {"records": len(rows)}

        art = store.get_or_build(spec, build)
        with open(art.file("transcripts.jsonl")) as f:
            records.extend(json.loads(line) for line in f)
    return records


def render(record: dict) -> str:
    """The transcript as a text judge reads it (quotes marked verified / unverified)."""
    lines = [f"Question: {record['question']}", f"A: {record['answers'][0]}", f"B: {record['answers'][1]}"]
    if record.get("passage"):
        lines.append(f"Passage: {record['passage']}")
    for turn in record["turns"]:
        lines.append(f"Debater {turn['side']} (round {turn['round']}): {turn['marked']}")
    return "\n".join(lines)


def quoted_sentences(record: dict, side: str, verified_only: bool = True) -> list[int]:
    """Passage sentences one side quoted (by index), in the order they were shown."""
    out = []
    for turn in record["turns"]:
        if turn["side"] == side:
            out.extend(q["sentence"] for q in turn["quotes"] if q["sentence"] is not None or not verified_only)
    return [i for i in out if i is not None]
