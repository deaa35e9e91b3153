"""Replaying perturbations in the judge validation tests, and where the shipped set lives."""

from __future__ import annotations

from pathlib import Path

from fama_dspy.benchmarks.tau2.evidence import evidence_from_record
from fama_dspy.benchmarks.tau2.judge_validation.dialogue import replay

DATA = Path(__file__).resolve().parents[4] / "data" / "judge_validation"


def first(generator, ctx):
    return next(generator(ctx))


def replayed(ctx, perturbation):
    record = replay(ctx.task, ctx.domain, perturbation.steps, perturbation.kind)
    return record, evidence_from_record(record, ctx.task)


def turns(record) -> list[tuple[str, str]]:
    """(role, text or called tool) per message."""
    out = []
    for m in record["messages"]:
        calls = m.get("tool_calls") or []
        out.append((m["role"], calls[0]["name"] if calls else m.get("content") or ""))
    return out
