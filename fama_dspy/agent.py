"""The tool-use agent: one decision (a tool call or a message) from a benchmark-neutral state."""

from __future__ import annotations

import json

import dspy
import pydantic
from dspy.utils.exceptions import AdapterParseError

from fama_dspy.action_parsing import degeneracy, fallback_action, tool_call_from_text
from fama_dspy.adapters import SCHEMA_KWARG, JSONModeAdapter, NativeToolCallingAdapter
from fama_dspy.conversation import DecisionState, render_messages, render_tools, to_openai_messages
from fama_dspy.decoding import (
    DECISION_MAX_TOKENS,
    DEFAULT_DECODING,
    DEFAULT_ID_POLICY,
    FC_MAX_TOKENS,
    FC_STOP_SEQUENCES,
    action_schema,
    check_decoding,
    check_id_policy,
    decision_schema,
)
from fama_dspy.demo_retrieval import DemoPool
from fama_dspy.errors import ConfigError
from fama_dspy.identifiers import SeenIdentifiers, seen_identifiers, unseen_id_error, unseen_identifiers
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
from fama_dspy.text_hygiene import clean_text, message_problem
from fama_dspy.tool_schemas import engine_schema
from fama_dspy.validation import validate_action

MODES = ("react", "fc")

REPAIR_HINT = (
    "Your previous answer was not a usable action: {problem}. Give exactly one action: a tool call "
    "with an exact tool name and argument values, or a non-empty message to the user."
)
# Native FC needs at least one chat turn.
_EMPTY_DIALOGUE = [{"role": "user", "content": "(The conversation starts now.)"}]


class ToolUseAgent(dspy.Module):
    """Decides the next action.

    ``mode="react"``: a typed signature (a short ``reasoning``, then an ``AgentAction``) answered as
    JSON. ``mode="fc"``: native function calling; a text reply is a message to the user, unless it
    carries a JSON tool call, which small coder models write instead of real tool calls.

    ``decoding`` (``fama_dspy.decoding``): ``constrained`` decodes react answers under the
    per-decision action schema (the tools available now, bounded text); ``json`` asks for JSON mode;
    ``free`` for nothing. In fc mode the tools go through the engine's own tool-call path
    (schemas normalised for the engine unless ``free``), and solo decisions ask for
    ``tool_choice="required"``; under ``constrained`` the retry after an unusable fc answer is
    decoded under the decision's action schema (still with the native tools and dialogue), so
    no fc decision is lost to form. (Measured on the 1.5B coder model: about half of its fc answers
    on τ² train points were empty replies, repeated on a plain retry; llama-server did not enforce
    ``tool_choice="required"`` for its template.) ``id_policy="seen"`` restricts identifier arguments to ids seen at
    the decision (in the schema when constrained; otherwise an unseen-id call is rejected and
    repaired like any unusable answer).

    An unusable output (unparseable, truncated, degenerate, junk where a message should be, an
    unseen id) is retried once with a repair hint; if that fails too, a safe fallback action is
    returned. Every failed attempt is counted in ``parse_failures`` (truncations and unseen-id
    rejections are also counted on their own). Text that reaches the customer is cleaned first
    (``text_hygiene``).
    """

    def __init__(
        self,
        mode: str = "react",
        adapter: dspy.Adapter | None = None,
        reasoning: bool = True,
        follow_up_prompting: bool = False,
        decoding: str = DEFAULT_DECODING,
        id_policy: str = DEFAULT_ID_POLICY,
        max_tokens: int | None = None,
    ):
        super().__init__()
        if mode not in MODES:
            raise ConfigError(f"Unknown tool-use mode {mode!r}; valid modes: {', '.join(MODES)}.")
        self.mode = mode
        self.decoding = check_decoding(decoding)
        self.id_policy = check_id_policy(id_policy)
        self.reasoning = reasoning
        self.max_tokens = max_tokens or (DECISION_MAX_TOKENS if mode == "react" else FC_MAX_TOKENS)
        if mode == "react":
            signature = ToolUseReAct if reasoning else ToolUse
            self.adapter = adapter or JSONModeAdapter(decoding=self.decoding)
        else:
            signature = ToolUseFunctionCalling
            self.adapter = adapter or NativeToolCallingAdapter()
        if follow_up_prompting:
            signature = signature.append_instructions(FOLLOW_UP_INSTRUCTION)
        self.decide = dspy.Predict(signature)
        #: Retrieved demonstrations (the ``knn`` optimizer): the k nearest labeled decisions replace
        #: the predictor's fixed demos at each decision.
        self.demo_pool: DemoPool | None = None
        if mode == "react":
            # Solo tasks (a ticket, no user) get a signature whose only action is a tool call.
            self.decide_solo = dspy.Predict(SoloToolUseReAct if reasoning else SoloToolUse)

    def forward(self, state: DecisionState, context: str = "", feedback: str = "") -> dspy.Prediction:
        parse_failures = truncations = unseen_rejections = 0
        # Collected once per decision: the schema and the unseen-id check of every attempt share them.
        seen = seen_identifiers(state) if self.id_policy == "seen" else None
        problem = raw = reasoning = ""
        for attempt in range(2):
            hint = feedback
            if attempt:
                # The hint changes the prompt, so the response cache cannot replay the failed answer;
                # the LM's own rollout id (a bench trial's seed) is kept, so trials stay apart.
                hint = "\n".join(filter(None, [feedback, REPAIR_HINT.format(problem=problem)]))
            # fc's retry is constrained to the action schema: the native answer failed once already.
            constrain = bool(attempt) and self.mode == "fc" and self.decoding == "constrained"
            with record_lm_calls() as calls:
                try:
                    action, reasoning, from_text = self._decide_once(state, context, hint, seen, constrain)
                    problem = degeneracy(action)
                    if problem is None:
                        action, problem = self._check(state, action, from_text, seen)
                except (AdapterParseError, pydantic.ValidationError) as exc:
                    action, problem = None, f"it could not be parsed ({type(exc).__name__})"
                    raw = getattr(exc, "lm_response", None) or calls.last_text()
                except _UnusableText as exc:
                    action, problem, raw = None, str(exc), calls.last_text()
                else:
                    raw = calls.last_text()
            if calls.truncations:
                truncations += 1
                # A cut answer may still parse (a JSON object closed early, a clipped message): never use
                # it, unless the limit cut only trailing whitespace after a complete tool call (measured:
                # the coder models pad a fenced JSON call with newlines up to the limit).
                padded_call = action is not None and action.kind == "tool_call" and raw != raw.rstrip()
                if not padded_call:
                    problem = "it was cut off at the length limit; answer briefly"
            if problem is None:
                return dspy.Prediction(
                    action=action,
                    parse_failures=parse_failures,
                    raw=raw,
                    reasoning=reasoning,
                    fc_text_tool_calls=int(from_text),
                    fallback=False,
                    truncations=truncations,
                    unseen_id_rejections=unseen_rejections,
                )
            if problem.startswith(_UNSEEN_PREFIX):
                unseen_rejections += 1
            parse_failures += 1
        return dspy.Prediction(
            action=fallback_action(state),
            parse_failures=parse_failures,
            raw=raw,
            reasoning=reasoning,
            fc_text_tool_calls=0,
            fallback=True,
            truncations=truncations,
            unseen_id_rejections=unseen_rejections,
        )

    def _check(
        self, state: DecisionState, action: AgentAction, from_text: bool, seen: SeenIdentifiers | None
    ) -> tuple[AgentAction, str | None]:
        """The usable form of a parsed action, or what makes it unusable here: junk text where a
        message should be, an invalid call read from text, an unseen id."""
        if action.kind == "message":
            cleaned = clean_text(action.message, state.stop_tokens)
            problem = message_problem(action.message, cleaned, {t.name for t in state.tools})
            return AgentAction(kind="message", message=cleaned), problem
        if from_text:
            invalid = validate_action(action, state.tools, solo=state.solo)
            if invalid:
                return action, f"the tool call in your text is not valid: {invalid}"
        if seen is not None:
            unseen = unseen_identifiers(state.tool(action.tool_name), action.arguments, seen)
            if unseen:
                return action, _UNSEEN_PREFIX + unseen_id_error(action.tool_name, unseen)
        return action, None

    def _config(self, state: DecisionState, output_field: str, seen: SeenIdentifiers | None) -> dict:
        config: dict = {"max_tokens": self.max_tokens}
        if self.decoding == "constrained" and isinstance(self.adapter, JSONModeAdapter):
            config[SCHEMA_KWARG] = decision_schema(state, output_field, self.reasoning, self.id_policy, seen)
        return config

    def _decide_once(
        self,
        state: DecisionState,
        context: str,
        feedback: str,
        seen: SeenIdentifiers | None,
        constrain: bool = False,
    ):
        """One LM call: (action, reasoning, whether the tool call was read from text).

        ``constrain`` (fc only): the reply is decoded under the decision's action schema."""
        optional = {"context": context, "feedback": feedback}
        if self.mode == "react":
            inputs = {
                "policy": state.policy,
                "tools": render_tools(state.tools),
                "ticket": state.ticket,
                "conversation": render_messages(state.messages),
                **optional,
            }
            predictor = self.decide_solo if state.solo else self.decide
            config = self._config(state, "call" if state.solo else "action", seen)
            extra = {}
            if self.demo_pool is not None:
                extra["demos"] = [dspy.Example(**d) for d in self.demo_pool.nearest(state)]
            with dspy.context(adapter=self.adapter):
                pred = predictor(**{k: v for k, v in inputs.items() if v}, config=config, **extra)
            if state.solo:
                call = pred.call
                if not isinstance(call, SoloToolCall):
                    call = SoloToolCall.model_validate(call)
                return call.as_action(), pred.get("reasoning") or "", False
            action = pred.action
            if not isinstance(action, AgentAction):
                action = AgentAction.model_validate(action)
            return action, pred.get("reasoning") or "", False

        tools = [t.openai_schema() for t in state.tools]
        if self.decoding != "free":
            for tool in tools:
                tool["function"]["parameters"] = engine_schema(tool["function"]["parameters"], bound=False)
        inputs = {
            "policy": state.policy,
            **{k: v for k, v in optional.items() if v},
            "tools": tools,
            "dialogue": to_openai_messages(state.messages, state.ticket) or _EMPTY_DIALOGUE,
        }
        config: dict = {"max_tokens": self.max_tokens, "stop": list(FC_STOP_SEQUENCES)}
        if constrain:
            config[SCHEMA_KWARG] = action_schema(_rescue_state(state), self.id_policy, seen)
        elif state.solo:
            config["tool_choice"] = "required"  # no user is present: the only action is a call
        with dspy.context(adapter=self.adapter):
            pred = self.decide(**inputs, config=config)
        if pred.tool_calls and pred.tool_calls.tool_calls:
            # One action per decision: further parallel calls are dropped, the model can make them next turn.
            call = pred.tool_calls.tool_calls[0]
            return (
                AgentAction(kind="tool_call", tool_name=call.name or "", arguments=call.args or {}),
                "",
                False,
            )
        text = pred.message or ""
        if constrain:
            action = _schema_action(text, state.solo)
            if action is not None:
                return action, "", False
        parsed = tool_call_from_text(clean_text(text), {t.name for t in state.tools})
        if parsed is not None:
            return parsed, "", True
        if not text.strip():
            raise _UnusableText("the reply is empty")
        # Kept raw: ``_check`` cleans it, or rejects it when it is an attempted call.
        return AgentAction(kind="message", message=text), "", False


_UNSEEN_PREFIX = "it uses an id that was never seen: "


def _rescue_state(state: DecisionState) -> DecisionState:
    """What fc's constrained retry may choose from: no write tool when a user is there to ask.

    The retry forces an action out of a model whose own answer was unusable; measured on the 1.5B
    coder model with every tool allowed, 16 of 51 such rescues were writes (`modify_pending_order_items`
    where the gold was a lookup), 1 of them right. A write must come from the model's own answer;
    the rescue may look up or ask. Solo unions hold tool calls only (no user), so they keep every
    tool and the schema also does ``tool_choice``'s job.
    """
    if state.solo:
        return state
    return state.model_copy(update={"tools": [t for t in state.tools if not t.writes]})


def _schema_action(text: str, solo: bool) -> AgentAction | None:
    """The action in a reply decoded under the action schema; None when the engine ignored it."""
    try:
        data = json.loads(text)
        if solo or "kind" not in data:
            return SoloToolCall.model_validate(data).as_action()
        return AgentAction.model_validate(data)
    except (ValueError, TypeError, AttributeError, pydantic.ValidationError):
        return None


class _UnusableText(Exception):
    """Text that cannot be a message: junk, an attempted call that does not parse, nothing left."""
