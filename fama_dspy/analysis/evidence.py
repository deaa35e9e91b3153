"""What the benchmark already knows about one failed episode, in a benchmark-neutral record.

The harness fills ``FailureEvidence`` from τ² results (reward breakdown, missed gold actions, DB
check, ...); the judges then only have to explain *why*, not rediscover *what* went wrong.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from fama_dspy.analysis.condense import condense_trajectory

__all__ = ["FailureEvidence", "condense_trajectory"]

_MAX_ITEM_CHARS = 200
_MAX_ITEMS = 8


class FailureEvidence(BaseModel):
    """Ground truth about one episode (one task, one trial)."""

    model_config = ConfigDict(extra="ignore")

    task_id: str
    domain: str = ""
    trial: int = 0
    reward: float = 0.0
    reward_breakdown: dict[str, float] = {}
    termination_reason: str = ""
    #: Gold actions the agent never performed (rendered as ``name({args})``).
    missed_actions: list[str] = []
    #: Gold actions the agent called with the right tool but wrong arguments.
    wrong_argument_actions: list[str] = []
    #: True: the final DB differs from the gold one; None: not checked for this task.
    db_mismatch: bool | None = None
    #: Where the final state differs from the expected one (``path expected X, got Y``), when known.
    state_differences: list[str] = []
    #: Facts the agent had to tell the user and did not.
    missing_information: list[str] = []
    tool_errors: list[str] = []
    parse_failures: int = 0
    #: Actions rejected before execution (unknown tool, arguments against the schema).
    invalid_actions: int = 0
    #: Why those actions were rejected; they never reach the transcript, so this is the only trace of them.
    rejected_actions: list[str] = []
    #: Decisions where the agent produced nothing usable and a canned fallback message was sent instead.
    fallbacks: int = 0
    #: Whether the user simulator stayed in its role (checked per episode); None: not checked or solo.
    user_in_role: bool | None = None
    #: The agent worked from a ticket with no user simulator: no failure can be the user's.
    solo: bool = False
    condensed_trajectory: str = ""

    @field_validator("task_id", "domain", "termination_reason", mode="before")
    @classmethod
    def _as_text(cls, value: Any, info) -> Any:
        if value is None:
            # Optional text fields may come as None; a missing task id stays an error.
            return None if info.field_name == "task_id" else ""
        # Enums (τ²'s TerminationReason) render as their value.
        return str(getattr(value, "value", value))

    @field_validator(
        "missed_actions",
        "wrong_argument_actions",
        "state_differences",
        "missing_information",
        "tool_errors",
        "rejected_actions",
        mode="before",
    )
    @classmethod
    def _as_text_list(cls, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, (str, dict)):
            value = [value]
        return [_item_text(v) for v in value]

    @field_validator("reward_breakdown", mode="before")
    @classmethod
    def _breakdown(cls, value: Any) -> Any:
        if not value:
            return {}
        return {str(getattr(k, "value", k)): float(v) for k, v in dict(value).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FailureEvidence:
        """Build from a plain dict; a ``messages`` list (``Message`` dicts) is condensed when no
        ``condensed_trajectory`` is given. Unknown keys are ignored."""
        data = dict(data)
        messages = data.pop("messages", None)
        if messages and not data.get("condensed_trajectory"):
            data["condensed_trajectory"] = condense_trajectory(messages)
        return cls.model_validate(data)

    @property
    def succeeded(self) -> bool:
        return self.reward >= 1.0

    def render(self) -> str:
        """Compact text for the judges (the transcript goes in its own field)."""
        lines = [
            f"reward: {self.reward:g}"
            + (f" ({_breakdown_text(self.reward_breakdown)})" if self.reward_breakdown else "")
        ]
        if self.termination_reason:
            lines.append(f"ended by: {self.termination_reason}")
        _listed(lines, "gold actions never performed", self.missed_actions)
        _listed(lines, "gold actions called with wrong arguments", self.wrong_argument_actions)
        if self.db_mismatch is not None:
            lines.append(f"final database matches the expected one: {'no' if self.db_mismatch else 'yes'}")
        _listed(lines, "where the final state differs from the expected one", self.state_differences)
        _listed(lines, "information the agent did not give the user", self.missing_information)
        _listed(lines, "tool errors", self.tool_errors)
        if self.parse_failures:
            lines.append(f"agent outputs that failed to parse: {self.parse_failures}")
        if self.invalid_actions:
            lines.append(f"invalid agent actions (unknown tool or bad arguments): {self.invalid_actions}")
        _listed(lines, "why agent actions were rejected", self.rejected_actions)
        if self.fallbacks:
            lines.append(f"decisions replaced by a fallback message (agent failed): {self.fallbacks}")
        if self.user_in_role is not None:
            lines.append(f"simulated user stayed in role: {'yes' if self.user_in_role else 'no'}")
        if self.solo:
            lines.append("no user in this episode: the agent worked alone from a ticket")
        return "\n".join(lines)


def _item_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "name" in value:
        args = value.get("arguments", value.get("kwargs", {}))
        return f"{value['name']}({json.dumps(args, ensure_ascii=False, sort_keys=True, default=str)})"
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _breakdown_text(breakdown: dict[str, float]) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in breakdown.items())


def _listed(lines: list[str], title: str, items: list[str]) -> None:
    if not items:
        return
    lines.append(f"{title}:")
    for item in items[:_MAX_ITEMS]:
        lines.append("- " + (item if len(item) <= _MAX_ITEM_CHARS else item[:_MAX_ITEM_CHARS] + "…"))
    if len(items) > _MAX_ITEMS:
        lines.append(f"- … {len(items) - _MAX_ITEMS} more")
