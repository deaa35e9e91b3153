"""The tool-use agent: one decision (a tool call or a message) from a benchmark-neutral state."""

from __future__ import annotations

import dspy
import pydantic
from dspy.utils.exceptions import AdapterParseError

from fama_dspy.action_parsing import degeneracy, fallback_action, tool_call_from_text
from fama_dspy.adapters import JSONModeAdapter, NativeToolCallingAdapter
from fama_dspy.conversation import DecisionState, render_messages, render_tools, to_openai_messages
from fama_dspy.errors import ConfigError
from fama_dspy.lm_calls import record_lm_calls
from fama_dspy.signatures.action import AgentAction, SoloToolCall
from fama_dspy.signatures.tool_use import (
    FOLLOW_UP_INSTRUCTION,
    SoloToolUse,
    SoloToolUseReAct,
    ToolUse,
    ToolUseFunctionCalling,
    ToolUseReAct,
)

MODES = ("react", "fc")

REPAIR_HINT = (
    "Your previous answer was not a usable action: {problem}. Give exactly one action: a tool call "
    "with an exact tool name and argument values, or a non-empty message to the user."
)
# Native FC needs at least one chat turn.
_EMPTY_DIALOGUE = [{"role": "user", "content": "(The conversation starts now.)"}]


class ToolUseAgent(dspy.Module):
    """Decides the next action.

    ``mode="react"``: a typed signature (a short ``reasoning``, then an ``AgentAction``) through a
    JSON adapter. ``mode="fc"``: native function calling; a text reply is a message to the user,
    unless it carries a JSON tool call, which small coder models write instead of real tool calls.

    An unusable output (unparseable, or degenerate: empty tool name, echoed schema, kind mismatch) is
    retried once with a repair hint; if that fails too, a safe fallback action is returned. Every
    failed attempt is counted in ``parse_failures``.
    """

    def __init__(
        self,
        mode: str = "react",
        adapter: dspy.Adapter | None = None,
        reasoning: bool = True,
        follow_up_prompting: bool = False,
    ):
        super().__init__()
        if mode not in MODES:
            raise ConfigError(f"Unknown tool-use mode {mode!r}; valid modes: {', '.join(MODES)}.")
        self.mode = mode
        if mode == "react":
            signature = ToolUseReAct if reasoning else ToolUse
            self.adapter = adapter or JSONModeAdapter()
        else:
            signature = ToolUseFunctionCalling
            self.adapter = adapter or NativeToolCallingAdapter()
        if follow_up_prompting:
            signature = signature.append_instructions(FOLLOW_UP_INSTRUCTION)
        self.decide = dspy.Predict(signature)
        if mode == "react":
            # Solo tasks (a ticket, no user) get a signature whose only action is a tool call.
            self.decide_solo = dspy.Predict(SoloToolUseReAct if reasoning else SoloToolUse)

    def forward(self, state: DecisionState, context: str = "", feedback: str = "") -> dspy.Prediction:
        parse_failures = 0
        problem = raw = reasoning = ""
        for attempt in range(2):
            hint = feedback
            config: dict = {}
            if attempt:
                # The hint changes the prompt, so the response cache cannot replay the failed answer;
                # the LM's own rollout id (a bench trial's seed) is kept, so trials stay apart.
                hint = "\n".join(filter(None, [feedback, REPAIR_HINT.format(problem=problem)]))
            with record_lm_calls() as calls:
                try:
                    action, reasoning, from_text = self._decide_once(state, context, hint, config)
                    problem = degeneracy(action)
                except (AdapterParseError, pydantic.ValidationError) as exc:
                    action, problem = None, f"it could not be parsed ({type(exc).__name__})"
                    raw = getattr(exc, "lm_response", None) or calls.last_text()
                else:
                    raw = calls.last_text()
            if problem is None:
                return dspy.Prediction(
                    action=action, parse_failures=parse_failures, raw=raw, reasoning=reasoning,
                    fc_text_tool_calls=int(from_text), fallback=False,
                )
            parse_failures += 1
        return dspy.Prediction(
            action=fallback_action(state), parse_failures=parse_failures, raw=raw, reasoning=reasoning,
            fc_text_tool_calls=0, fallback=True,
        )

    def _decide_once(self, state: DecisionState, context: str, feedback: str, config: dict):
        """One LM call: (action, reasoning, whether the tool call was read from text)."""
        optional = {"context": context, "feedback": feedback}
        if self.mode == "react":
            inputs = {"policy": state.policy, "tools": render_tools(state.tools), "ticket": state.ticket,
                      "conversation": render_messages(state.messages), **optional}
            predictor = self.decide_solo if state.solo else self.decide
            with dspy.context(adapter=self.adapter):
                pred = predictor(**{k: v for k, v in inputs.items() if v}, config=config)
            if state.solo:
                call = pred.call
                if not isinstance(call, SoloToolCall):
                    call = SoloToolCall.model_validate(call)
                return call.as_action(), pred.get("reasoning") or "", False
            action = pred.action
            if not isinstance(action, AgentAction):
                action = AgentAction.model_validate(action)
            return action, pred.get("reasoning") or "", False

        inputs = {"policy": state.policy, **{k: v for k, v in optional.items() if v},
                  "tools": [t.openai_schema() for t in state.tools],
                  "dialogue": to_openai_messages(state.messages, state.ticket) or _EMPTY_DIALOGUE}
        with dspy.context(adapter=self.adapter):
            pred = self.decide(**inputs, config=config)
        if pred.tool_calls and pred.tool_calls.tool_calls:
            # One action per decision: further parallel calls are dropped, the model can make them next turn.
            call = pred.tool_calls.tool_calls[0]
            return AgentAction(kind="tool_call", tool_name=call.name or "", arguments=call.args or {}), "", False
        text = pred.message or ""
        parsed = tool_call_from_text(text, {t.name for t in state.tools})
        if parsed is not None:
            return parsed, "", True
        return AgentAction(kind="message", message=text.strip()), "", False
