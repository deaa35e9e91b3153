"""Benchmark-neutral view of a conversation, as every agent module in fama-dspy sees it.

Agents and specialists know nothing of τ²-bench: the harness (``fama_dspy.benchmarks.tau2``) translates
τ²'s messages and tools into these types, so the modules drop into any DSPy project.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field

from fama_dspy.signatures.action import AgentAction


class ToolSpec(BaseModel):
    """A tool the agent may call: OpenAI-style name, description and JSON-schema parameters."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    #: False for read-only tools (lookups); True when calling it may change the world state.
    writes: bool | None = None

    def openai_schema(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }

    def signature_line(self) -> str:
        """Compact rendering: ``name(arg: type*, ...) - description`` (``*`` = required)."""
        props = self.parameters.get("properties", {}) or {}
        required = set(self.parameters.get("required", []) or [])
        args = []
        for arg, schema in props.items():
            kind = schema.get("type", "any") if isinstance(schema, dict) else "any"
            args.append(f"{arg}: {kind}{'*' if arg in required else ''}")
        first_line = (self.description or "").strip().splitlines()[0] if self.description else ""
        return f"{self.name}({', '.join(args)}) - {first_line}"


class ToolCall(BaseModel):
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    id: str = ""


class Message(BaseModel):
    """One turn: a user message, an assistant message or tool call(s), or a tool result."""

    role: Literal["user", "assistant", "tool"]
    content: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    #: For role == "tool": the tool that produced this result, and whether it was an error.
    tool_name: str = ""
    error: bool = False


class DecisionState(BaseModel):
    """Everything an agent sees when it decides its next action."""

    policy: str
    tools: list[ToolSpec]
    messages: list[Message] = Field(default_factory=list)
    #: Solo mode: the ticket replaces the user; the agent may only call tools.
    ticket: str | None = None
    #: Tokens the benchmark defines as the agent's own way to end a conversation in a message
    #: (e.g. "###STOP###" where that is the agent's stop signal). Any other such token in a model's
    #: message is junk and is removed before the customer sees it.
    stop_tokens: list[str] = Field(default_factory=list)

    @property
    def solo(self) -> bool:
        return self.ticket is not None

    def tool(self, name: str) -> ToolSpec | None:
        return next((t for t in self.tools if t.name == name), None)

    def user_turns(self) -> list[str]:
        return [m.content for m in self.messages if m.role == "user" and m.content]

    def last_tool_output(self) -> Message | None:
        for m in reversed(self.messages):
            if m.role == "tool":
                return m
            if m.role == "user":
                return None
        return None

    def previous_actions(self) -> list[AgentAction]:
        """The agent's own actions so far, oldest first."""
        out: list[AgentAction] = []
        for m in self.messages:
            if m.role != "assistant":
                continue
            if m.tool_calls:
                out.extend(
                    AgentAction(kind="tool_call", tool_name=c.name, arguments=c.arguments)
                    for c in m.tool_calls
                )
            elif m.content:
                out.append(AgentAction(kind="message", message=m.content))
        return out


def render_tools(tools: list[ToolSpec]) -> str:
    return "\n".join(t.signature_line() for t in tools)


def render_messages(messages: list[Message], max_tool_chars: int = 1500) -> str:
    """Numbered transcript; long tool outputs are cut (the TOR specialist exists for those)."""
    lines = []
    for i, m in enumerate(messages):
        if m.role == "assistant" and m.tool_calls:
            calls = "; ".join(
                f"{c.name}({json.dumps(c.arguments, ensure_ascii=False)})" for c in m.tool_calls
            )
            lines.append(f"[{i}] assistant called {calls}")
        elif m.role == "tool":
            text = m.content if len(m.content) <= max_tool_chars else m.content[:max_tool_chars] + " …(cut)"
            tag = "tool error" if m.error else "tool result"
            lines.append(f"[{i}] {tag} ({m.tool_name}): {text}")
        else:
            lines.append(f"[{i}] {m.role}: {m.content}")
    return "\n".join(lines) if lines else "(no messages yet)"


def to_openai_messages(messages: list[Message], ticket: str | None = None) -> list[dict[str, Any]]:
    """The transcript as OpenAI chat messages, for native function calling.

    Tool results are paired with the calls before them in order, since OpenAI requires every
    ``tool_call_id`` to answer a call; calls without an id get a stable synthetic one. In solo mode
    the ticket is the opening user message, because the ticket replaces the user.
    """
    out: list[dict[str, Any]] = [{"role": "user", "content": ticket}] if ticket else []
    pending: list[str] = []
    for i, m in enumerate(messages):
        if m.role == "assistant" and m.tool_calls:
            ids = [c.id or f"call_{i}_{j}" for j, c in enumerate(m.tool_calls)]
            pending = list(ids)
            calls = [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": json.dumps(c.arguments, ensure_ascii=False)},
                }
                for call_id, c in zip(ids, m.tool_calls)
            ]
            out.append({"role": "assistant", "content": m.content or None, "tool_calls": calls})
        elif m.role == "tool":
            call_id = pending.pop(0) if pending else f"call_{i}"
            # Some servers reject empty tool contents.
            out.append(
                {
                    "role": "tool",
                    "tool_call_id": call_id,
                    "name": m.tool_name,
                    "content": m.content or "(empty)",
                }
            )
        else:
            out.append({"role": m.role, "content": m.content})
    return out
