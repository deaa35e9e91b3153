"""What the harness records about each decision an agent makes inside an episode.

Agents report their own cost in an optional ``info`` dict (agent contract). The keys are read
leniently, because agents are written elsewhere and may omit any of them:
``lm_calls`` (int), ``served_calls`` (int: calls that reached the model, the others were DSPy
response-cache hits), ``usage`` ({prompt_tokens, completion_tokens}), ``parse_failures`` (int or a
list of failures), ``specialists`` / ``specialists_ran`` (names of the specialists that ran).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from fama_dspy.signatures.action import AgentAction


def json_safe(value: Any) -> Any:
    """A JSON-serialisable copy (unknown objects become their ``str``)."""
    return json.loads(json.dumps(value, default=str))


def info_lm_calls(info: dict[str, Any]) -> int:
    value = info.get("lm_calls", 0)
    return int(value) if isinstance(value, (int, float)) else 0


def info_cache_hits(info: dict[str, Any]) -> int:
    """LM calls answered by DSPy's response cache (0 when the agent does not report ``served_calls``).

    A cached answer costs no tokens and almost no time, so costs averaged over it would understate
    what the configuration costs; the report leaves such decisions out of its cost figures.
    """
    served = info.get("served_calls")
    if not isinstance(served, (int, float)):
        return 0
    return max(info_lm_calls(info) - int(served), 0)


def info_usage(info: dict[str, Any]) -> dict[str, int]:
    usage = info.get("usage") or {}
    if not isinstance(usage, dict):
        return {"prompt_tokens": 0, "completion_tokens": 0}
    return {k: int(usage.get(k) or 0) for k in ("prompt_tokens", "completion_tokens")}


def info_parse_failures(info: dict[str, Any]) -> int:
    value = info.get("parse_failures", 0)
    if isinstance(value, (list, tuple)):
        return len(value)
    return int(value) if isinstance(value, (int, float)) else 0


def info_specialists(info: dict[str, Any]) -> list[str]:
    value = info.get("specialists", info.get("specialists_ran", []))
    if isinstance(value, dict):
        return [str(k) for k in value]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return []


class Attempt(BaseModel):
    """One call of the agent within a decision (a decision is re-asked after an invalid action)."""

    action: dict[str, Any] | None = None
    info: dict[str, Any] = Field(default_factory=dict)
    latency_s: float = 0.0
    validation_error: str | None = None
    exception: str | None = None


class DecisionRecord(BaseModel):
    """One decision: the action that reached τ², and what it cost to get there.

    ``info`` is the accepted attempt's (empty after a fallback); ``rejected`` keeps the attempts that
    failed validation, with their own info, so nothing the agent reported is lost or duplicated.
    """

    index: int
    action: dict[str, Any]
    info: dict[str, Any] = Field(default_factory=dict)
    latency_s: float = 0.0
    attempts: int = 0
    rejected: list[Attempt] = Field(default_factory=list)
    validation_errors: list[str] = Field(default_factory=list)
    invalid_actions: int = 0
    fallback: bool = False
    exception: str | None = None
    lm_calls: int = 0
    cache_hits: int = 0
    usage: dict[str, int] = Field(default_factory=lambda: {"prompt_tokens": 0, "completion_tokens": 0})
    parse_failures: int = 0
    specialists: list[str] = Field(default_factory=list)

    @classmethod
    def from_attempts(
        cls, index: int, action: dict[str, Any], attempts: list[Attempt], fallback: bool
    ) -> DecisionRecord:
        """Totals over all attempts: tokens spent on rejected attempts are real cost too."""
        usage = {"prompt_tokens": 0, "completion_tokens": 0}
        for a in attempts:
            for k, v in info_usage(a.info).items():
                usage[k] += v
        rejected = [a for a in attempts if a.validation_error]
        final_info = attempts[-1].info if attempts and not attempts[-1].validation_error else {}
        return cls(
            index=index,
            action=action,
            info=final_info,
            latency_s=round(sum(a.latency_s for a in attempts), 4),
            attempts=len(attempts),
            rejected=rejected,
            validation_errors=[a.validation_error for a in rejected],
            invalid_actions=len(rejected),
            fallback=fallback,
            exception=next((a.exception for a in attempts if a.exception), None),
            lm_calls=sum(info_lm_calls(a.info) for a in attempts),
            cache_hits=sum(info_cache_hits(a.info) for a in attempts),
            usage=usage,
            parse_failures=sum(info_parse_failures(a.info) for a in attempts),
            specialists=info_specialists(final_info),
        )


def read_output(out: Any) -> tuple[AgentAction, dict[str, Any]]:
    """``(action, info)`` from an agent's output; a bare ``AgentAction`` is accepted too."""
    if isinstance(out, AgentAction):
        return out, {}
    action = getattr(out, "action", None)
    if isinstance(action, dict):
        action = AgentAction.model_validate(action)
    if not isinstance(action, AgentAction):
        raise TypeError(f"the agent returned {type(out).__name__} without an AgentAction in `.action`")
    info = getattr(out, "info", None) or {}
    return action, json_safe(info) if isinstance(info, dict) else {"info": json_safe(info)}
