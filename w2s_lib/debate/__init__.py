"""D, the debate function: strong debaters quote evidence a weak judge cannot read in full.

``debate(items, debater, judge, protocol)`` returns one transcript per item and answer order
with the judge's probability for each answer (:func:`w2s_lib.debate.experiment.debate`).

* :mod:`.items` — passages as sentences, a question, two answers; both answer orders;
* :mod:`.quotes` — quotes verified against the passage (exact after normalisation, 3-gram overlap);
* :mod:`.protocols` — debate, consultancy, blind judge, oracle judge;
* :mod:`.debaters` — extractive (a strong rung picks sentences), generative (any causal LM, prompt
  templates in ``templates/``), scripted (tests);
* :mod:`.transcripts` — what was said, as sharded artifacts; :mod:`.embeddings` — frozen unit embeddings;
* :mod:`.trained_judges` — weak judges trained on A's transcripts; :mod:`.judges` — LM judges and
  the verdict parser;
* :mod:`.experiment` — protocols over a task's splits and seeds, per-run summaries (the protocols'
  table is :func:`w2s_lib.tables.protocol_table`); :mod:`.viewer` — HTML and widgets.
"""
from .experiment import debate, debate_setup, run_protocols, summarize
from .items import DebateItem, items_from_frame
from .protocols import PROTOCOL_NAMES, Protocol

__all__ = ["debate", "debate_setup", "run_protocols", "summarize", "DebateItem",
           "items_from_frame", "PROTOCOL_NAMES", "Protocol"]
