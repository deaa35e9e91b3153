"""Signatures of the tool-use agent: the decision it makes before every turn.

Optional inputs (``ticket``, ``context``, ``feedback``) are typed ``str | None`` so the agent can leave
them out of a call: DSPy renders only the inputs it is given, and unused fields then cost no prompt
tokens.
"""

from __future__ import annotations

from typing import Any

import dspy
from fama_dspy.signatures.action import AgentAction, SoloToolCall

#: IRMA's follow-up prompting, appended to the instructions when enabled.
FOLLOW_UP_INSTRUCTION = (
    "If the user has not given information you need and no tool can look it up, ask one short "
    "follow-up question instead of guessing."
)


class ToolUse(dspy.Signature):
    """Decide the next action of a customer-service agent that follows the policy.
    Call one tool when you need information or must act; otherwise write one message to the user.
    Use only ids and values that appear in the conversation or in tool results."""

    policy: str = dspy.InputField(desc="rules you must follow")
    tools: str = dspy.InputField(desc="name(arg: type, * = required) - description")
    ticket: str | None = dspy.InputField(
        desc="solo task: no user is present; only call tools, `done` when finished"
    )
    conversation: str = dspy.InputField(desc="transcript so far, oldest first")
    context: str | None = dspy.InputField(desc="notes from helper agents for this step")
    feedback: str | None = dspy.InputField(desc="why your previous answer was rejected; fix it")
    action: AgentAction = dspy.OutputField()


#: The ReAct variant: a short thought before the action.
ToolUseReAct = ToolUse.prepend(
    "reasoning", dspy.OutputField(desc="one or two sentences: what the state requires next"), type_=str
)


class SoloToolUse(dspy.Signature):
    """Resolve the ticket as a back-office agent that follows the policy. No user is present:
    every step is exactly one tool call. Look things up before acting, never repeat a call that
    already succeeded, and call `done` once the ticket is resolved.
    Use only ids and values that appear in the ticket or in tool results."""

    policy: str = dspy.InputField(desc="rules you must follow")
    tools: str = dspy.InputField(desc="name(arg: type, * = required) - description")
    ticket: str = dspy.InputField(desc="the request to resolve")
    conversation: str = dspy.InputField(desc="your tool calls and their results so far, oldest first")
    context: str | None = dspy.InputField(desc="notes from helper agents for this step")
    feedback: str | None = dspy.InputField(desc="why your previous answer was rejected; fix it")
    call: SoloToolCall = dspy.OutputField()


SoloToolUseReAct = SoloToolUse.prepend(
    "reasoning", dspy.OutputField(desc="one or two sentences: what the ticket still needs"), type_=str
)


class ToolUseFunctionCalling(dspy.Signature):
    """Act as a customer-service agent that follows the policy.
    Call a tool when you need information or must act; otherwise reply to the user."""

    policy: str = dspy.InputField(desc="rules you must follow")
    context: str | None = dspy.InputField(desc="notes from helper agents for this step")
    feedback: str | None = dspy.InputField(desc="why your previous answer was rejected; fix it")
    tools: list[dict[str, Any]] = dspy.InputField(desc="OpenAI function schemas, sent through the tools API")
    dialogue: list[dict[str, Any]] = dspy.InputField(desc="OpenAI chat messages, sent as the conversation")
    tool_calls: dspy.ToolCalls = dspy.OutputField()
    message: str = dspy.OutputField(desc="reply to the user when no tool is called")
