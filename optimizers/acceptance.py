"""Keep or discard a tuned program: it must not be worse than the untuned one on held-out train
decision points *and* on solo episodes.

Instruction tuning optimises on some train decision points; the check scores both programs on
other train tasks' points (``split_by_task`` keeps tasks apart) and on whole solo episodes, where
one better decision can still lose the task. Scores are compared as means with a ``tolerance``
(0 by default: any drop rejects), and per item (fixed / broken counts), because on small sets
a few flipped points carry the difference (docs/design.md §8).

The scorers are callables ``agent -> list of per-item scores`` (see ``evaluation.py``), so this
module needs neither the harness nor an LM of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fama_dspy.errors import ConfigError

Scorer = Callable[[Any], Sequence[float]]


@dataclass
class Comparison:
    """Per-item scores of the untuned and the tuned program on the same items."""

    name: str
    untuned: list[float]
    tuned: list[float]

    def __post_init__(self) -> None:
        if len(self.untuned) != len(self.tuned):
            raise ConfigError(
                f"{self.name}: the two programs were scored on different items ({len(self.untuned)} vs {len(self.tuned)})."
            )

    @property
    def n(self) -> int:
        return len(self.tuned)

    @property
    def mean_untuned(self) -> float | None:
        return sum(self.untuned) / self.n if self.n else None

    @property
    def mean_tuned(self) -> float | None:
        return sum(self.tuned) / self.n if self.n else None

    @property
    def fixed(self) -> int:
        return sum(1 for a, b in zip(self.untuned, self.tuned) if b > a)

    @property
    def broken(self) -> int:
        return sum(1 for a, b in zip(self.untuned, self.tuned) if b < a)

    def not_worse(self, tolerance: float) -> bool:
        return self.n == 0 or self.mean_tuned >= self.mean_untuned - tolerance - 1e-12

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "n": self.n,
            "untuned": self.mean_untuned,
            "tuned": self.mean_tuned,
            "fixed": self.fixed,
            "broken": self.broken,
        }


@dataclass
class AcceptanceReport:
    decisions: Comparison
    episodes: Comparison | None
    tolerance: float
    accepted: bool
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "tolerance": self.tolerance,
            "decisions": self.decisions.as_dict(),
            "episodes": self.episodes.as_dict() if self.episodes is not None else None,
            "reasons": list(self.reasons),
        }


def _describe(c: Comparison) -> str:
    if not c.n:
        return f"{c.name}: no items"
    return (
        f"{c.name}: {c.mean_untuned:.3f} -> {c.mean_tuned:.3f} on {c.n} ({c.fixed} fixed, {c.broken} broken)"
    )


def check_acceptance(
    untuned: Any,
    tuned: Any,
    score_decisions: Scorer,
    score_episodes: Scorer | None = None,
    tolerance: float = 0.0,
    require_episodes: bool = False,
) -> AcceptanceReport:
    """Score both programs and decide whether the tuned one is kept.

    Accepted when the tuned mean is at least the untuned mean minus ``tolerance`` on the decision
    points and, if ``score_episodes`` is given, on the episodes too. ``require_episodes`` rejects
    when no episode scorer is given (for callers that must not skip that half of the check).
    """
    if tolerance < 0:
        raise ConfigError(f"tolerance must be >= 0, got {tolerance}.")
    decisions = Comparison(
        "held-out decision points", list(score_decisions(untuned)), list(score_decisions(tuned))
    )
    if decisions.n == 0:
        raise ConfigError("No held-out decision points to check the tuned program on.")
    episodes = None
    if score_episodes is not None:
        episodes = Comparison("solo episodes", list(score_episodes(untuned)), list(score_episodes(tuned)))
    reasons = [_describe(decisions)]
    accepted = decisions.not_worse(tolerance)
    if not accepted:
        reasons.append("rejected: worse on held-out decision points")
    if episodes is not None:
        reasons.append(_describe(episodes))
        if not episodes.not_worse(tolerance):
            accepted = False
            reasons.append("rejected: worse on solo episodes")
    elif require_episodes:
        accepted = False
        reasons.append("rejected: solo episodes were required but not scored")
    else:
        reasons.append("solo episodes: not checked")
    return AcceptanceReport(decisions, episodes, tolerance, accepted, reasons)
