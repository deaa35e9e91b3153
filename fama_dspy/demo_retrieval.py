"""Demonstrations retrieved per decision: the k nearest labeled decisions from a stored pool.

A fixed set of demos shows the model how to act in *some* situations; retrieving, at each decision,
the labeled decisions most like the current one shows it the situation at hand (a lookup after a
request like this one, a write after a result like this one). The retriever is lexical (BM25 over
the words of the last request, the last tool result and the tools already called): local,
deterministic, no embedding model to download. The pool lives inside the agent's saved state, so a
compiled program stays one self-contained JSON file. The ``knn`` optimizer builds the pool from
gold train decisions (``fama_dspy.optimizers.demos``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

from pydantic import BaseModel, Field

from fama_dspy.conversation import DecisionState

#: Bound on a saved pool: the program file stays small and retrieval instant.
MAX_POOL = 400
_WORD = re.compile(r"[a-z][a-z0-9_]+")
_QUERY_TOOL_CHARS = 600


def query_text(state: DecisionState) -> str:
    """What a decision is matched on: the last customer message (or the ticket), the last tool
    result (clipped) and the tools already called."""
    user = next((m.content for m in reversed(state.messages) if m.role == "user"), "") or (state.ticket or "")
    last = state.messages[-1] if state.messages else None
    result = last.content[:_QUERY_TOOL_CHARS] if last is not None and last.role == "tool" else ""
    called = " ".join(c.name for m in state.messages for c in m.tool_calls)
    return f"{user}\n{result}\n{called}"


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class PoolEntry(BaseModel):
    point_id: str
    solo: bool
    key: str  # ``query_text`` of the decision
    demo: dict[str, Any]  # the predictor's fields: conversation, reasoning, action (or ticket + call)


class DemoPool(BaseModel):
    """Labeled decisions and the number of neighbours to show per decision."""

    k: int = Field(3, ge=1, le=8)
    entries: list[PoolEntry] = Field(default_factory=list, max_length=MAX_POOL)

    def nearest(self, state: DecisionState) -> list[dict[str, Any]]:
        """The ``k`` entries of the state's mode closest to it (BM25; ties keep pool order)."""
        candidates = [e for e in self.entries if e.solo == state.solo]
        if not candidates:
            return []
        docs = [Counter(words(e.key)) for e in candidates]
        query = set(words(query_text(state)))
        n = len(docs)
        avg = sum(sum(d.values()) for d in docs) / n or 1.0
        df = Counter(w for d in docs for w in d)
        scores = []
        for i, d in enumerate(docs):
            length = sum(d.values())
            score = 0.0
            for w in query & d.keys():
                idf = math.log(1 + (n - df[w] + 0.5) / (df[w] + 0.5))
                tf = d[w]
                score += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / avg))
            scores.append((-score, i))
        return [candidates[i].demo for _, i in sorted(scores)[: self.k]]
