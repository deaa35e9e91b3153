"""Translate between τ²-bench's types and fama-dspy's benchmark-neutral ones.

τ² tools → ``ToolSpec``; τ² messages → the agent's ``Message`` view; ``AgentAction`` ↔ τ²
``AssistantMessage``. Nothing here decides anything: it only changes representation.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from tau2.data_model.message import (
    AssistantMessage,
    MultiToolMessage,
    SystemMessage,
    ToolMessage,
    UserMessage,
)
from tau2.data_model.message import (
    ToolCall as Tau2ToolCall,
)
from tau2.environment.tool import Tool
from tau2.environment.toolkit import TOOL_TYPE_ATTR, ToolType

from fama_dspy.conversation import Message, ToolCall, ToolSpec
from fama_dspy.signatures.action import AgentAction
from fama_dspy.tool_schemas import inline_refs


def new_tool_call_id() -> str:
    """A fresh tool-call id; τ² pairs calls and results by id, so ids must be unique per episode."""
    return f"call_{uuid.uuid4().hex[:16]}"


def clean_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """τ²'s pydantic parameter schemas without ``$defs``/``$ref`` and ``title`` annotations: prompts
    that show them get shorter and self-contained, the set of valid arguments is unchanged."""
    return inline_refs(schema)


def tool_writes(tool: Tool) -> bool | None:
    """True for τ² WRITE tools, False for READ/THINK/GENERIC ones, None when τ² does not say."""
    kind = getattr(getattr(tool, "_func", None), TOOL_TYPE_ATTR, None)
    if kind is None:
        return None
    return ToolType(kind) == ToolType.WRITE


def tool_to_spec(tool: Tool) -> ToolSpec:
    function = tool.openai_schema["function"]
    return ToolSpec(
        name=tool.name,
        description=function.get("description") or "",
        parameters=clean_schema(function.get("parameters") or {"type": "object", "properties": {}}),
        writes=tool_writes(tool),
    )


def tools_to_specs(tools: Iterable[Tool]) -> list[ToolSpec]:
    return [tool_to_spec(t) for t in tools]


def tau2_to_view(messages: Iterable[Any], tool_names: dict[str, str] | None = None) -> list[Message]:
    """The agent's view of a τ² history: what an assistant sees, in order.

    Dropped: system prompts, the user's own tool calls and their results (τ² never shows those to
    the agent). ``tool_names`` maps call ids to tool names across calls; it is updated in place.
    """
    names = tool_names if tool_names is not None else {}
    view: list[Message] = []
    for msg in messages:
        if isinstance(msg, MultiToolMessage):
            view.extend(tau2_to_view(msg.tool_messages, names))
        elif isinstance(msg, SystemMessage):
            continue
        elif isinstance(msg, AssistantMessage):
            if msg.is_tool_call():
                calls = [ToolCall(name=c.name, arguments=dict(c.arguments), id=c.id) for c in msg.tool_calls]
                names.update({c.id: c.name for c in calls})
                view.append(Message(role="assistant", content=msg.content or "", tool_calls=calls))
            elif msg.has_text_content():
                view.append(Message(role="assistant", content=msg.content))
        elif isinstance(msg, UserMessage):
            if not msg.is_tool_call() and msg.has_text_content():
                view.append(Message(role="user", content=msg.content))
        elif isinstance(msg, ToolMessage) and msg.requestor == "assistant":
            view.append(
                Message(
                    role="tool", content=msg.content or "", tool_name=names.get(msg.id, ""), error=msg.error
                )
            )
    return view


def action_to_view(action: AgentAction, call_id: str = "") -> Message:
    """The assistant turn an action becomes in the agent's own view."""
    if action.kind == "tool_call":
        return Message(
            role="assistant",
            tool_calls=[ToolCall(name=action.tool_name, arguments=dict(action.arguments), id=call_id)],
        )
    return Message(role="assistant", content=action.message)


def action_to_tau2(
    action: AgentAction, usage: dict[str, int] | None = None, call_id: str | None = None
) -> AssistantMessage:
    """A τ² assistant message: one tool call with a fresh id, or text.

    ``cost=0.0``: τ² warns about (and stops summing) costs when any message has none.
    """
    if action.kind == "tool_call":
        call = Tau2ToolCall(
            id=call_id or new_tool_call_id(), name=action.tool_name, arguments=dict(action.arguments)
        )
        return AssistantMessage(role="assistant", tool_calls=[call], cost=0.0, usage=usage)
    return AssistantMessage(role="assistant", content=action.message, cost=0.0, usage=usage)


def tau2_to_actions(message: AssistantMessage) -> list[AgentAction]:
    """The action(s) a τ² assistant message carries (a τ² agent may call several tools at once)."""
    if message.is_tool_call():
        return [
            AgentAction(kind="tool_call", tool_name=c.name, arguments=dict(c.arguments))
            for c in message.tool_calls
        ]
    return [AgentAction(kind="message", message=message.content or "")]


def dump_message(message: Any) -> dict[str, Any]:
    """JSON-ready τ² message for records; ``raw_data`` (the provider's full response) is dropped."""
    data = message.model_dump(mode="json", exclude={"raw_data"})
    if isinstance(message, MultiToolMessage):
        data["tool_messages"] = [dump_message(m) for m in message.tool_messages]
    return data
