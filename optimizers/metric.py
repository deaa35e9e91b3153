"""Decision metrics: the exact score of a next action, and GEPA feedback that says *why* it was wrong.

The score is the harness's ``exact_ok`` (same tool, arguments equal after schema-typed
normalisation on τ²'s compared keys): 1 or 0, optionally with partial credit for the right tool.

The feedback names the failure in the FAMA vocabulary (docs/design.md §2) so a reflection model can turn
it into an instruction:
- DPV (policy): a state-changing call where a lookup was due, i.e. acting before the policy's
  required check or confirmation;
- WRCO (wrong retrieval): the right tool with a value other than the one in a tool output, with
  the turn and tool that hold the right value;
- CM (misinterpretation): a wrong or invented tool, an invented value, a value misread from the
  user, a repeat of an earlier call;
- IFU (early stop): a message, transfer or stop where the task needed the next call, or another
  lookup where the change itself was due.
The correct action is always stated: the decision points are training data, not claims.

``pred_name`` (GEPA's per-predictor feedback) adds what the named specialist should have
contributed; the score never depends on it, so GEPA's module-level and predictor-level scores agree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import dspy
from fama_dspy.signatures.action import AgentAction

from fama_dspy.conversation import DecisionState
from fama_dspy.specialists.verifier import changes_state

CATEGORY_NAMES = {
    "DPV": "Domain policy violation",
    "WRCO": "Wrong retrieval from a tool output",
    "CM": "Contextual misinterpretation",
    "IFU": "Incomplete fulfilment",
}
#: Tools whose call ends the agent's work (τ²'s transfer tool, the solo stop tool).
ENDING_TOOLS = ("transfer_to_human_agents", "done")
#: The solo agent's stop tool: gold where the task is finished (ACEBench multi-step's last point).
STOP_TOOLS = ("done",)


@dataclass
class Diagnosis:
    """The score of one decision and the reason behind it."""

    score: float
    kind: (
        str  # correct, unusable_output, did_not_stop, message_instead_of_call, unknown_tool, ended_early, ...
    )
    category: str | None  # DPV / WRCO / CM / IFU, None when correct or unusable
    feedback: str
    name_ok: bool = False
    exact_ok: bool = False
    mismatched: list[str] = field(default_factory=list)


def _field(example: Any, name: str, default: Any = None) -> Any:
    if isinstance(example, dict):
        return example.get(name, default)
    try:
        value = example.get(name, default) if hasattr(example, "get") else getattr(example, name, default)
    except (AttributeError, KeyError):
        value = default
    return default if value is None else value


def _state(example: Any) -> DecisionState:
    state = _field(example, "state")
    return state if isinstance(state, DecisionState) else DecisionState.model_validate(state)


def _gold(example: Any) -> AgentAction:
    gold = _field(example, "gold")
    return gold if isinstance(gold, AgentAction) else AgentAction.model_validate(gold)


def predicted_action(pred: Any) -> tuple[AgentAction | None, bool]:
    """(action, whether it was a fallback) from a FamaAgent / ToolUseAgent prediction or an action."""
    if pred is None:
        return None, True
    if isinstance(pred, AgentAction):
        return pred, False
    action = _field(pred, "action")
    if action is not None and not isinstance(action, AgentAction):
        try:
            action = AgentAction.model_validate(action)
        except ValueError:
            action = None
    info = _field(pred, "info", {}) or {}
    fallback = bool(_field(pred, "fallback", False) or (isinstance(info, dict) and info.get("fallback")))
    return action, fallback


def score_against_gold(
    action: AgentAction | None, state: DecisionState, gold: AgentAction, compare_args: list[str] | None
) -> tuple[bool, bool, list[str]]:
    """(name_ok, exact_ok, mismatched keys), exactly as the harness scores decision points."""
    # Imported here: the harness package imports τ²-bench, which the rest of this module does not need.
    from fama_dspy.results.matching import arguments_match

    if action is None or action.kind != "tool_call" or action.tool_name != gold.tool_name:
        return False, False, []
    spec = state.tool(gold.tool_name)
    mismatched = arguments_match(
        action.arguments, gold.arguments, spec.parameters if spec else {}, compare_args
    )
    return True, not mismatched, mismatched


def _leaves(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    if value is None or isinstance(value, bool):
        return []
    text = str(value).strip()
    return [text] if text else []


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def locate_value(value: Any, state: DecisionState) -> list[str]:
    """Where the value's leaves appear in what the agent sees, newest first: tool outputs, user
    messages, the ticket, the agent's own earlier calls. Empty when it appears nowhere."""
    leaves = [_norm(leaf) for leaf in _leaves(value)]
    if not leaves:
        return []
    places: list[str] = []
    for i in range(len(state.messages) - 1, -1, -1):
        m = state.messages[i]
        texts = [m.content] + [json.dumps(c.arguments, ensure_ascii=False) for c in m.tool_calls]
        haystack = _norm("\n".join(texts))
        if all(leaf in haystack for leaf in leaves):
            if m.role == "tool":
                places.append(f"the {m.tool_name or 'tool'} result at turn [{i}]")
            elif m.role == "user":
                places.append(f"the user's message at turn [{i}]")
            elif m.tool_calls:
                places.append(f"your own earlier call at turn [{i}]")
            else:
                places.append(f"your message at turn [{i}]")
    if state.ticket and all(leaf in _norm(state.ticket) for leaf in leaves):
        places.append("the ticket")
    return places


def _earlier_identical_call(state: DecisionState, action: AgentAction) -> int | None:
    for i in range(len(state.messages) - 1, -1, -1):
        m = state.messages[i]
        if any(c.name == action.tool_name and c.arguments == action.arguments for c in m.tool_calls):
            return i
    return None


def _last_user_confirmed(state: DecisionState) -> bool:
    last = state.messages[-1] if state.messages else None
    return (
        last is not None
        and last.role == "user"
        and any(word in _norm(last.content) for word in ("yes", "confirm", "go ahead", "proceed"))
    )


def _value_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _argument_feedback(
    action: AgentAction, gold: AgentAction, state: DecisionState, mismatched: list[str]
) -> tuple[str, list[str]]:
    """(category, one sentence per wrong argument)."""
    lines: list[str] = []
    invented = misread_user = from_tool = False
    for key in mismatched:
        right = gold.arguments.get(key)
        where = locate_value(right, state) if key in gold.arguments else []
        where_text = (
            f"it appears in {where[0]}"
            if where
            else ("it is not in the conversation yet: look it up with a tool or ask the user for it first")
        )
        if key not in action.arguments:
            lines.append(
                f"Argument `{key}` is missing; the right value is {_value_text(right)} ({where_text})."
            )
            continue
        given = action.arguments[key]
        given_places = locate_value(given, state)
        if key not in gold.arguments:
            lines.append(f"Argument `{key}`={_value_text(given)} should not be passed here.")
            continue
        note = ""
        if _leaves(given) and not given_places:
            invented = True
            note = " Your value appears nowhere in the conversation: never invent ids or values."
        if where and where[0].startswith("the user's"):
            misread_user = True
        elif where and " result at turn" in where[0]:
            from_tool = True
        lines.append(
            f"Argument `{key}`: you passed {_value_text(given)}, the right value is {_value_text(right)} ({where_text}).{note}"
        )
    if invented or misread_user or not from_tool:
        category = "CM"
    else:
        category = "WRCO"
    return category, lines


def diagnose(
    action: AgentAction | None, example: Any, *, fallback: bool = False, name_credit: float = 0.0
) -> Diagnosis:
    """Score ``action`` against the example's gold action and explain the difference."""
    state, gold = _state(example), _gold(example)
    compare_args = _field(example, "compare_args")
    name_ok, exact_ok, mismatched = score_against_gold(action, state, gold, compare_args)
    right = f"The correct next action was `{gold.short()}`."
    if exact_ok:
        return Diagnosis(
            1.0, "correct", None, f"Correct: `{gold.short()}` was the right next action.", True, True
        )
    score = name_credit if name_ok else 0.0

    def result(kind: str, category: str | None, text: str) -> Diagnosis:
        head = f"[{category}] {CATEGORY_NAMES[category]}: " if category else ""
        return Diagnosis(
            score, kind, category, f"{head}{text} {right}".strip(), name_ok, exact_ok, mismatched
        )

    if action is None or fallback:
        return result(
            "unusable_output",
            None,
            "Your output was not a usable action (unparseable or empty); answer with exactly one action.",
        )
    if name_ok:
        category, lines = _argument_feedback(action, gold, state, mismatched)
        return result("wrong_argument", category, "Right tool, wrong arguments. " + " ".join(lines))
    gold_writes = changes_state(state, gold)
    if gold.tool_name in STOP_TOOLS:
        # Every step is done; anything but stopping repeats or adds work (an extra write changes
        # the state the benchmark compares): the agent lost track of what it has already done.
        did = f"`{action.tool_name}`" if action.kind == "tool_call" else "a message"
        return result(
            "did_not_stop",
            "CM",
            f"The task is finished: every requested step has been done (see the results above). "
            f"Instead of {did}, call `{gold.tool_name}` to end.",
        )
    if action.kind == "message":
        if gold_writes and _last_user_confirmed(state):
            return result(
                "message_instead_of_call",
                "IFU",
                f"The user has already confirmed; instead of writing to them, make the change now with `{gold.tool_name}`.",
            )
        return result(
            "message_instead_of_call",
            "IFU",
            f"You wrote to the user although the request is not finished: the next step is the tool call "
            f"`{gold.tool_name}`.",
        )
    if state.tool(action.tool_name) is None:
        available = ", ".join(t.name for t in state.tools)
        return result(
            "unknown_tool", "CM", f"`{action.tool_name}` is not an available tool (available: {available})."
        )
    if action.tool_name in ENDING_TOOLS:
        return result(
            "ended_early",
            "IFU",
            f"You called `{action.tool_name}` and ended your work, but the task is not finished: "
            f"`{gold.tool_name}` was still needed.",
        )
    if changes_state(state, action) and not gold_writes:
        return result(
            "write_before_lookup",
            "DPV",
            f"You made a change (`{action.tool_name}`) before the required lookup `{gold.tool_name}`: "
            "the policy requires checking the facts (and getting explicit confirmation) before any change.",
        )
    repeated = _earlier_identical_call(state, action)
    if repeated is not None:
        return result(
            "repeated_call",
            "CM",
            f"You repeated your call `{action.short()}` from turn [{repeated}]; its result is already in the "
            "conversation. Use it and take the next step.",
        )
    if gold_writes and not changes_state(state, action):
        return result(
            "lookup_instead_of_change",
            "IFU",
            f"The lookups are done; the next step is the change itself with `{gold.tool_name}`, "
            f"not `{action.tool_name}`.",
        )
    spec = state.tool(gold.tool_name)
    purpose = (
        f" (`{gold.tool_name}`: {spec.signature_line().split(' - ', 1)[-1]})"
        if spec and spec.description
        else ""
    )
    return result(
        "wrong_tool",
        "CM",
        f"Wrong tool: you called `{action.tool_name}`, the step needed `{gold.tool_name}`{purpose}.",
    )


def _predictor_note(pred_name: str | None, d: Diagnosis, gold: AgentAction) -> str:
    """What the named specialist's predictor should have contributed (GEPA per-predictor feedback)."""
    if not pred_name or d.kind == "correct":
        return ""
    code = pred_name.split(".", 1)[0]
    if code == "dce":
        if d.category == "DPV":
            return "Your checklist is read right before the decision: it should have named the rule that requires a lookup or confirmation before changes."
        return f"Your checklist should list the policy rules that bind this exact step (`{gold.tool_name}`), nothing generic."
    if code == "tsa":
        return f"Your tool suggestion should have put `{gold.tool_name}` first."
    if code == "tor":
        if d.category == "WRCO":
            return "Your extracted facts should include the exact values (ids, prices, dates) that the next call needs."
        return "Extract only the fields of the tool output that the next step needs, with exact values."
    if code == "pln":
        return f"Your plan's next step should have been `{gold.tool_name}`."
    if code == "ver":
        return (
            f"A check of the proposed action should FAIL actions like this one and PASS `{gold.short()}`; "
            "say which rule or fact the action breaks."
        )
    return ""


class DecisionFeedbackMetric:
    """GEPA metric ``(gold, pred, trace=None, pred_name=None, pred_trace=None) -> dspy.Prediction(score, feedback)``.

    ``name_credit`` is the score for the right tool with wrong arguments (0 = the exact metric).
    """

    def __init__(self, name_credit: float = 0.0):
        if not 0.0 <= name_credit < 1.0:
            raise ValueError(f"name_credit must be in [0, 1), got {name_credit}.")
        self.name_credit = name_credit

    def __call__(self, gold, pred, trace=None, pred_name=None, pred_trace=None) -> dspy.Prediction:
        action, fallback = predicted_action(pred)
        d = diagnose(action, gold, fallback=fallback, name_credit=self.name_credit)
        note = _predictor_note(pred_name, d, _gold(gold))
        return dspy.Prediction(
            score=d.score, feedback=f"{d.feedback} {note}".strip(), category=d.category, kind=d.kind
        )


def exact_metric(gold, pred, trace=None) -> float:
    """1.0 when the predicted action matches the gold one exactly (the harness's ``exact_ok``), else 0.0.

    Works as a DSPy metric (MIPROv2, Evaluate) and as a plain scorer of one prediction.
    """
    action, _ = predicted_action(pred)
    _, exact_ok, _ = score_against_gold(action, _state(gold), _gold(gold), _field(gold, "compare_args"))
    return 1.0 if exact_ok else 0.0


decision_feedback_metric = DecisionFeedbackMetric()
