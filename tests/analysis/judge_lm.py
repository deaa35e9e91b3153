"""A scripted LM for the analysis tests: answers by which judge is asking, and records every call.

The asking signature is read from its instructions in the system message, so one LM serves the
four category judges, the non-agent detector and the primary selector, also from worker threads
(their order is not deterministic, so answers cannot be a plain list).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field

import dspy
from dspy.lm15 import Message, Response, TextPart, Usage

#: Marker in the system message -> role, checked in order.
ROLE_MARKERS = (
    ("DPV", "Judge DPV ("),
    ("WRCO", "Judge WRCO ("),
    ("CM", "Judge CM ("),
    ("IFU", "Judge IFU ("),
    ("non_agent", "user_drift"),
    ("primary", "primary error(s)"),
)


def verdict(occurred: bool, turns=(), recovered: bool = False, rationale: str = "because") -> str:
    return json.dumps(
        {"rationale": rationale, "occurred": occurred, "evidence_turns": list(turns), "recovered": recovered}
    )


@dataclass
class JudgeEngine:
    """``script`` maps a role to its answer (a JSON string); a missing role fails the test."""

    script: dict[str, str]
    calls: list[tuple[str, str, str]] = field(default_factory=list)  # (role, full prompt, thread name)
    supported_params = frozenset({"response_format", "temperature", "max_tokens"})

    def __post_init__(self):
        self._lock = threading.Lock()

    def complete(self, request):
        system = (
            request.system
            if isinstance(request.system, str)
            else "".join(p.text for p in request.system or ())
        )
        user = "\n".join("".join(getattr(p, "text", "") or "" for p in m.parts) for m in request.messages)
        role = next((r for r, marker in ROLE_MARKERS if marker in system), "unknown")
        with self._lock:
            self.calls.append((role, system + "\n" + user, threading.current_thread().name))
        if role not in self.script:
            raise AssertionError(f"unscripted LM call for role {role!r}")
        return Response(
            id=None,
            model=request.model,
            message=Message.assistant([TextPart(self.script[role])]),
            finish_reason="stop",
            usage=Usage(input_tokens=10, output_tokens=5),
        )

    def roles(self) -> list[str]:
        return sorted(call[0] for call in self.calls)

    def prompt_of(self, role: str) -> str:
        return next(call[1] for call in self.calls if call[0] == role)


def judge_lm(script: dict[str, str]) -> tuple[dspy.LM, JudgeEngine]:
    engine = JudgeEngine(dict(script))
    # No cache: every call must reach the script.
    return dspy.LM("scripted/judge", engine=engine, cache=False, num_retries=0), engine
