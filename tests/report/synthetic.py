"""Synthetic episode and decision records (the harness's record shape, only the fields reports read)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def episode(
    config: str,
    task: str,
    trial: int,
    success: bool,
    *,
    domain: str = "mock",
    solo: bool = True,
    decisions: int = 2,
    prompt_tokens: int = 100,
    completion_tokens: int = 10,
    seconds: float = 1.0,
    termination: str = "agent_stop",
    error: str | None = None,
    parse_failures: int = 0,
    seed: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One episode: ``decisions`` decisions, each costing the given tokens and seconds."""
    return {
        "config": config,
        "agent": "fama",
        "domain": domain,
        "split": "base",
        "task_id": task,
        "trial": trial,
        "seed": 1000 + trial if seed is None else seed,
        "solo": solo,
        "user": "none" if solo else "scripted",
        "max_steps": 30,
        "reward": 1.0 if success else 0.0,
        "success": success,
        "termination": termination,
        "error": error,
        "duration_s": seconds * decisions + 0.5,
        "user_in_role": None if solo else True,
        "decisions": [
            {
                "latency_s": seconds,
                "lm_calls": 1,
                "parse_failures": 0,
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens},
            }
            for _ in range(decisions)
        ],
        "totals": {
            "decisions": decisions,
            "lm_calls": decisions,
            "prompt_tokens": prompt_tokens * decisions,
            "completion_tokens": completion_tokens * decisions,
            "agent_seconds": seconds * decisions,
            "invalid_actions": 0,
            "parse_failures": parse_failures,
            "fallbacks": 0,
            "repeated_calls": 0,
        },
        **extra,
    }


def decision(
    config: str,
    point: str,
    name_ok: bool,
    exact_ok: bool,
    *,
    derivable: bool = True,
    prompt_tokens: int = 100,
    completion_tokens: int = 10,
    seconds: float = 1.0,
    domain: str = "mock",
    trial: int = 0,
) -> dict[str, Any]:
    task = point.split("/")[1]
    return {
        "config": config,
        "point_id": point,
        "trial": trial,
        "domain": domain,
        "task_id": task,
        "index": 0,
        "solo": False,
        "derivable": derivable,
        "name_ok": name_ok,
        "exact_ok": exact_ok,
        "valid": True,
        "error": None,
        "latency_s": seconds,
        "lm_calls": 1,
        "parse_failures": 0,
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens},
    }


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path
