"""Episode records, benchmark-neutral: one JSON line per finished simulation in ``<out>/episodes.jsonl``.

Lines are appended (flush + fsync) the moment an episode ends, so a crash or Ctrl-C loses nothing
that finished; a torn last line from a crash is skipped on reading and never glued to the next
record. A record is identified by ``episode_key``; when a key occurs twice (a rerun of errored
episodes), the later line wins.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

from fama_dspy.results.decision_log import DecisionRecord

EPISODES_FILE = "episodes.jsonl"
RECORD_VERSION = 1
SUCCESS_TOLERANCE = 1e-6  # τ²'s is_successful: reward within 1e-6 of 1


def is_success(reward: float | None) -> bool:
    return reward is not None and abs(float(reward) - 1.0) <= SUCCESS_TOLERANCE


class JsonlAppender:
    """Appends JSON lines durably; one lock per file so concurrent episodes never interleave."""

    _locks: ClassVar[dict[str, threading.Lock]] = {}
    _locks_guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._locks_guard:
            self._lock = self._locks.setdefault(str(self.path.resolve()), threading.Lock())

    def append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, default=str)
        with self._lock, open(self.path, "a+b") as fh:
            fh.seek(0, os.SEEK_END)
            if fh.tell() > 0:
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":
                    fh.write(b"\n")  # a torn line from a crash must not swallow this record
            fh.write(line.encode("utf-8") + b"\n")
            fh.flush()
            os.fsync(fh.fileno())


def read_jsonl(path: Path | str) -> list[dict[str, Any]]:
    """All parseable records; unparseable lines (a crash mid-write) are skipped."""
    path = Path(path)
    if not path.exists():
        return []
    records = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                records.append(value)
    return records


def episode_key(record: dict[str, Any]) -> tuple:
    """(config, domain, solo, user kind, task id, trial): what a resumed run skips."""
    return (
        record.get("config"),
        record.get("domain"),
        bool(record.get("solo")),
        record.get("user"),
        str(record.get("task_id")),
        int(record.get("trial", 0)),
    )


def dedupe(records: Iterable[dict[str, Any]], key=episode_key) -> list[dict[str, Any]]:
    """One record per key, the last one written, in first-seen key order."""
    latest: dict[tuple, dict[str, Any]] = {}
    for record in records:
        latest[key(record)] = record
    return list(latest.values())


def load_episodes(out: Path | str, config_name: str | None = None) -> list[dict[str, Any]]:
    """Episode records of ``out`` (a folder or the jsonl file itself), deduplicated by key."""
    path = Path(out)
    if path.is_dir() or path.suffix != ".jsonl":
        path = path / EPISODES_FILE
    records = dedupe(read_jsonl(path))
    if config_name is not None:
        records = [r for r in records if r.get("config") == config_name]
    return records


def decision_totals(decisions: list[DecisionRecord], agent_seconds: float | None = None) -> dict[str, Any]:
    specialists: Counter[str] = Counter()
    for d in decisions:
        specialists.update(d.specialists)
    return {
        "decisions": len(decisions),
        "lm_calls": sum(d.lm_calls for d in decisions),
        "cache_hits": sum(d.cache_hits for d in decisions),
        "prompt_tokens": sum(d.usage.get("prompt_tokens", 0) for d in decisions),
        "completion_tokens": sum(d.usage.get("completion_tokens", 0) for d in decisions),
        "agent_seconds": round(
            sum(d.latency_s for d in decisions) if agent_seconds is None else agent_seconds, 4
        ),
        "invalid_actions": sum(d.invalid_actions for d in decisions),
        "agent_exceptions": sum(1 for d in decisions if d.exception),
        "fallbacks": sum(1 for d in decisions if d.fallback),
        "parse_failures": sum(d.parse_failures for d in decisions),
        "specialists": dict(specialists),
    }
