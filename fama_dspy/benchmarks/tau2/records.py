"""τ²'s side of an episode record: the reward breakdown and checks as plain data, user tokens,
repeated calls and the dumped messages (``fama_dspy.results.records`` holds the benchmark-neutral
record file handling).
"""

from __future__ import annotations

import json
from typing import Any

from tau2.data_model.simulation import RewardInfo

from fama_dspy.benchmarks.tau2.convert import dump_message


def reward_details(reward_info: RewardInfo) -> dict[str, Any]:
    """τ²'s reward breakdown and checks as plain data (which gold actions matched, what was said...)."""
    details: dict[str, Any] = {
        "reward_basis": [getattr(b, "value", str(b)) for b in (reward_info.reward_basis or [])],
        "db_match": reward_info.db_check.db_match if reward_info.db_check else None,
        "action_checks": [
            {
                "action_id": c.action.action_id,
                "name": c.action.name,
                "requestor": c.action.requestor,
                "arguments": c.action.arguments,
                "matched": c.action_match,
            }
            for c in reward_info.action_checks or []
        ],
        "communicate_checks": [{"info": c.info, "met": c.met} for c in reward_info.communicate_checks or []],
        "env_assertions": [
            {
                "func_name": c.env_assertion.func_name,
                "env_type": c.env_assertion.env_type,
                "arguments": c.env_assertion.arguments,
                "met": c.met,
            }
            for c in reward_info.env_assertions or []
        ],
        "info": reward_info.info,
    }
    return json.loads(json.dumps(details, default=str))


def reward_breakdown(reward_info: RewardInfo) -> dict[str, float]:
    return {getattr(k, "value", str(k)): float(v) for k, v in (reward_info.reward_breakdown or {}).items()}


def user_token_totals(messages: list[Any]) -> dict[str, int]:
    """Tokens the simulated user spent, from the usage τ² and our user attach to user messages."""
    totals = {"user_prompt_tokens": 0, "user_completion_tokens": 0}
    for m in messages:
        if getattr(m, "role", None) == "user" and isinstance(getattr(m, "usage", None), dict):
            totals["user_prompt_tokens"] += int(m.usage.get("prompt_tokens") or 0)
            totals["user_completion_tokens"] += int(m.usage.get("completion_tokens") or 0)
    return totals


def repeated_calls(messages: list[Any], write_tools: set[str]) -> dict[str, int]:
    """Agent tool calls identical (name + arguments) to an earlier one; the reward ignores them (docs/design.md §8)."""
    seen: set[str] = set()
    counts = {"repeated_calls": 0, "repeated_writes": 0}
    for m in messages:
        if getattr(m, "role", None) != "assistant" or not getattr(m, "tool_calls", None):
            continue
        for c in m.tool_calls:
            signature = json.dumps([c.name, c.arguments], sort_keys=True, default=str)
            if signature in seen:
                counts["repeated_calls"] += 1
                counts["repeated_writes"] += c.name in write_tools
            seen.add(signature)
    return counts


def dump_messages(messages: list[Any]) -> list[dict[str, Any]]:
    return [dump_message(m) for m in messages]
