"""A scripted LM for offline tests: a ``dspy.LM`` whose engine answers by role and records every request.

The role of a request (which signature made it) is read from the field names in its system message,
so one LM can serve the tool-use agent and every specialist at once, also from worker threads.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import dspy
from dspy.lm15 import Message, Response, TextPart, ToolCallPart, Usage

from fama_dspy.adapters import DOMAIN_BLOCK_INTRO

#: Marker in the system message -> role. Checked in order; "agent" also covers native FC (tools sent).
ROLE_MARKERS = (
    ("ver", "`verdict`"),
    ("dce", "`rules`"),
    ("tsa", "`why`"),
    ("tor", "`facts`"),
    ("pln", "`steps`"),
    ("agent", "`action`"),
    ("agent", "`call`"),  # the solo signature's output
)
PROMPT_TOKENS = 100
COMPLETION_TOKENS = 10


def json_reply(**fields: Any) -> str:
    return json.dumps(fields)


def action_reply(reasoning: str = "next step", **action: Any) -> str:
    """A ReAct tool-use answer in JSONAdapter format (it also fills the solo signature's ``call``)."""
    reply: dict[str, Any] = {"reasoning": reasoning, "action": action}
    if action.get("kind") == "tool_call":
        reply["call"] = {"tool_name": action.get("tool_name", ""), "arguments": action.get("arguments", {})}
    return json.dumps(reply)


def truncated(text: str) -> dict:
    """An answer the engine cut at the token limit (``finish_reason="length"``)."""
    return {"text": text, "finish_reason": "length"}


def tool_call_reply(name: str, text: str | None = None, **args: Any) -> dict:
    """A native FC answer with one real tool call."""
    return {"tool_calls": [{"name": name, "args": args}], "text": text}


@dataclass
class Call:
    role: str
    system: str
    messages: list[dict]
    tools: list[str]
    thread: str
    config: Any

    @property
    def prompt(self) -> str:
        return self.system + "\n" + "\n".join(str(m["content"]) for m in self.messages)


@dataclass
class ScriptedEngine:
    """``script`` maps a role to its answers, used in order; the last one repeats."""

    script: dict[str, list]
    delay: float = 0.0
    calls: list[Call] = field(default_factory=list)
    supported_params = frozenset(
        {"response_format", "tools", "tool_choice", "temperature", "max_tokens", "stop"}
    )

    def __post_init__(self):
        self._lock = threading.Lock()
        self._used: dict[str, int] = {}

    def complete(self, request):
        system = (
            request.system
            if isinstance(request.system, str)
            else "".join(p.text for p in request.system or ())
        )
        messages = [_message_dict(m) for m in request.messages]
        role = "agent" if request.tools else next((r for r, m in ROLE_MARKERS if m in system), "unknown")
        if role == "unknown" and not request.messages and system.startswith(DOMAIN_BLOCK_INTRO):
            role = "prime"  # prompt_cache.prime_prompt_cache: the domain block alone, one token
        with self._lock:
            self.calls.append(
                Call(
                    role,
                    system,
                    messages,
                    [t.name for t in request.tools],
                    threading.current_thread().name,
                    request.config,
                )
            )
            answers = self.script.get(role) or ([""] if role == "prime" else None)
            if not answers:
                raise AssertionError(f"unscripted LM call for role {role!r}")
            i = self._used.get(role, 0)
            self._used[role] = i + 1
            answer = answers[min(i, len(answers) - 1)]
        if self.delay:
            time.sleep(self.delay)
        if isinstance(answer, BaseException):
            raise answer
        finish = "stop"
        if isinstance(answer, dict):
            finish = answer.get("finish_reason", "stop")
            parts = [TextPart(answer["text"])] if answer.get("text") else []
            parts += [
                ToolCallPart(id=f"call_{i}_{j}", name=c["name"], input=c["args"])
                for j, c in enumerate(answer.get("tool_calls") or [])
            ]
        else:
            parts = [TextPart(answer)]
        return Response(
            id=None,
            model=request.model,
            message=Message.assistant(parts),
            finish_reason=finish,
            usage=Usage(input_tokens=PROMPT_TOKENS, output_tokens=COMPLETION_TOKENS),
        )

    def roles(self) -> list[str]:
        return [c.role for c in self.calls]

    def of(self, role: str) -> list[Call]:
        return [c for c in self.calls if c.role == role]


def _message_dict(m) -> dict:
    text = "".join(getattr(p, "text", "") or "" for p in m.parts)
    calls = [p.name for p in m.parts if getattr(p, "type", "") == "tool_call"]
    results = [
        "".join(getattr(c, "text", "") for c in p.content)
        for p in m.parts
        if getattr(p, "type", "") == "tool_result"
    ]
    return {"role": m.role, "content": text or "\n".join(results), "tool_calls": calls}


def scripted_lm(script: dict[str, list], delay: float = 0.0) -> tuple[dspy.LM, ScriptedEngine]:
    engine = ScriptedEngine({k: list(v) for k, v in script.items()}, delay=delay)
    # No response cache: every call must reach the script.
    return dspy.LM("scripted/test", engine=engine, cache=False, num_retries=0), engine
