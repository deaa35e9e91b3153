"""The part of a domain policy that bears on one failed episode, within a character budget.

Whole policies are 1.6k–5k tokens (docs/design.md §7–§8); four judges per episode on a small model cannot
each read all of it. Paragraphs are ranked by how many words of the tools the episode used (and
the gold actions it missed) they mention, and kept in their original order.
"""

from __future__ import annotations

import re

from fama_dspy.analysis.evidence import FailureEvidence

#: Tool-name words that appear in nearly every paragraph, so they rank nothing.
_GENERIC_WORDS = frozenset(
    {"user", "users", "details", "info", "information", "find", "list", "search", "with", "from"}
)
_CALLED = re.compile(r"called ([A-Za-z_][A-Za-z0-9_]*)\(|\b([a-z]+(?:_[a-z0-9]+)+)\(")


def policy_excerpt(policy: str, evidence: FailureEvidence, max_chars: int = 3000) -> str:
    """The policy itself if it fits, else its most relevant paragraphs (first paragraph preferred)."""
    policy = policy.strip()
    if len(policy) <= max_chars:
        return policy
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", policy) if p.strip()]
    words = episode_words(evidence)
    if not words:
        # Nothing to rank by: the policy's opening is the best guess.
        return _in_budget(paragraphs, range(len(paragraphs)), max_chars) or policy[:max_chars]
    scores = []
    for index, paragraph in enumerate(paragraphs):
        low = paragraph.lower()
        hits = sum(1 for w in words if w in low)
        # The opening paragraph usually states the agent's role and global rules (authenticate first, ...).
        scores.append(hits + (1 if index == 0 else 0))
    # Unrelated paragraphs are left out even when they would fit: every token costs on CPU.
    ranked = sorted((i for i, score in enumerate(scores) if score > 0), key=lambda i: (-scores[i], i))
    return _in_budget(paragraphs, ranked, max_chars) or paragraphs[0][:max_chars]


def _in_budget(paragraphs: list[str], order, max_chars: int) -> str:
    """Paragraphs taken greedily in ``order`` while they fit, joined in their original order."""
    chosen: list[int] = []
    used = 0
    for index in order:
        cost = len(paragraphs[index]) + 2
        if used + cost <= max_chars:
            chosen.append(index)
            used += cost
    return "\n\n".join(paragraphs[i] for i in sorted(chosen))


def episode_words(evidence: FailureEvidence) -> set[str]:
    """Lower-case words (4+ letters) of the tool names in the transcript and the gold-action lists."""
    text = "\n".join(
        [evidence.condensed_trajectory, *evidence.missed_actions, *evidence.wrong_argument_actions]
    )
    words: set[str] = set()
    for match in _CALLED.finditer(text):
        name = match.group(1) or match.group(2)
        words.update(w for w in name.lower().split("_") if len(w) >= 4 and w not in _GENERIC_WORDS)
    return words
