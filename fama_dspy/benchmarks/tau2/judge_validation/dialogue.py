"""Scripted dialogues: a task's gold actions as an agent plan and user lines, replayed through τ².

A gold dialogue has the user state the whole request up front; the agent makes the lookups a careful
agent would, asks for explicit confirmation before every write (both domain policies require it, so an
unperturbed trajectory must not look like a policy violation), performs the gold actions in order and
ends with a summary that quotes the information the task requires. ``replay`` runs any such script
through τ²'s real orchestrator, environment and evaluator, with no LLM anywhere.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from tau2.data_model.message import ToolCall as Tau2ToolCall
from tau2.data_model.message import UserMessage
from tau2.data_model.tasks import Action, Task
from tau2.environment.environment import Environment
from tau2.user.base import STOP, UserState, ValidUserInputMessage

from fama_dspy.benchmarks.tau2.builders import wrap_agent
from fama_dspy.benchmarks.tau2.gold import GoldDecision, final_message
from fama_dspy.benchmarks.tau2.runner import EpisodeSettings, run_episode
from fama_dspy.benchmarks.tau2.tasks import user_request_text
from fama_dspy.benchmarks.tau2.user_base import HarnessUser
from fama_dspy.conversation import DecisionState
from fama_dspy.signatures.action import AgentAction

__all__ = [
    "CONFIRM_REPLY",
    "DialogueUser",
    "PlanAgent",
    "PlannedCall",
    "Step",
    "ToolOutput",
    "confirmation_text",
    "gold_dialogue",
    "planned_calls",
    "replay",
]

CONFIRM_REPLY = "Yes, please go ahead."
_MAX_STEPS = 200


# -- scripted dialogues ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One agent action; for a message, ``reply`` is the user's answer (None: the user ends the call)."""

    action: AgentAction
    reply: str | None = None


def _say(text: str, reply: str | None = None) -> Step:
    return Step(AgentAction(kind="message", message=text), reply)


def _call(name: str, arguments: dict[str, Any]) -> Step:
    return Step(AgentAction(kind="tool_call", tool_name=name, arguments=copy.deepcopy(arguments)))


def confirmation_text(name: str, arguments: dict[str, Any]) -> str:
    """The policy's "list the action details and obtain explicit confirmation" turn before a write."""
    details = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in arguments.items())
    return f"To confirm, I will now {name.replace('_', ' ')} with {details}. Shall I proceed (yes/no)?"


def _confirm(name: str, arguments: dict[str, Any]) -> Step:
    return _say(confirmation_text(name, arguments), CONFIRM_REPLY)


class PlanAgent:
    """Agent contract: returns the planned actions in order, then repeats the last one."""

    def __init__(self, plan: list[AgentAction]):
        self.plan = plan
        self.step = 0

    def __call__(self, state: DecisionState) -> GoldDecision:
        index = min(self.step, len(self.plan) - 1)
        self.step += 1
        return GoldDecision(action=self.plan[index], info={"plan_step": index, "lm_calls": 0})


class DialogueUser(HarnessUser):
    """A no-LLM user that says its scripted lines in order (the opener first), then stops."""

    def __init__(self, task: Task, lines: list[str]):
        super().__init__(instructions=str(task.user_scenario), llm=None)
        self.lines = list(lines)

    def generate_next_message(
        self, message: ValidUserInputMessage, state: UserState
    ) -> tuple[UserMessage, UserState]:
        state.messages.append(message)
        reply = UserMessage(role="user", content=self.lines.pop(0) if self.lines else STOP, cost=0.0)
        state.messages.append(reply)
        return reply, state


def replay(task: Task, domain: str, steps: list[Step], name: str = "gold", seed: int = 0) -> dict[str, Any]:
    """Run a scripted dialogue through τ²'s orchestrator and evaluator; the episode record."""
    plan = [s.action for s in steps]
    lines = [user_request_text(task)] + [s.reply or STOP for s in steps if s.action.kind == "message"]
    settings = EpisodeSettings(
        config_name=f"perturbation:{name}",
        agent_kind="plan-replay",
        domain=domain,
        split="train",
        solo=False,
        user_kind="scripted-dialogue",
        max_steps=_MAX_STEPS,
        max_errors=10,
    )
    # max_reasks=0: a rejected action must not shift the plan; perturbations with one are discarded.
    return run_episode(
        task,
        0,
        seed,
        settings,
        lambda t, env, solo: wrap_agent(PlanAgent(plan), t, env, solo, max_reasks=0),
        lambda t, env, solo: DialogueUser(t, lines),
    )


# -- planning a task's gold dialogue ---------------------------------------------------------------


@dataclass
class PlannedCall:
    name: str
    arguments: dict[str, Any]
    #: Index in the task's gold actions; None for a supporting lookup.
    gold_index: int | None = None


@dataclass
class ToolOutput:
    step: int  # index of the call in the dialogue's steps
    name: str
    data: Any  # parsed JSON, or the raw text when the output is not JSON


def _lookups_before_write(domain: str, action: Action, db: Any) -> list[tuple[str, dict[str, Any]]]:
    """The reads a careful agent makes before a write, so every value it writes comes from an output
    in the transcript (gold plans often skip them: the evaluator does not need them)."""
    args = action.arguments
    lookups: list[tuple[str, dict[str, Any]]] = []
    if domain == "airline":
        if args.get("reservation_id") in db.reservations:
            lookups.append(("get_reservation_details", {"reservation_id": args["reservation_id"]}))
        for flight in args.get("flights") or []:
            record = db.flights.get(flight.get("flight_number")) if isinstance(flight, dict) else None
            if record is not None:
                lookups.append(
                    (
                        "search_direct_flight",
                        {"origin": record.origin, "destination": record.destination, "date": flight["date"]},
                    )
                )
    elif domain == "retail" and args.get("order_id") in db.orders:
        order = db.orders[args["order_id"]]
        lookups.append(("get_order_details", {"order_id": order.order_id}))
        if args.get("new_item_ids"):
            products = {i.item_id: i.product_id for i in order.items}
            for item_id in args.get("item_ids") or []:
                if item_id in products:
                    lookups.append(("get_product_details", {"product_id": products[item_id]}))
    return lookups


def planned_calls(
    domain: str, gold: list[Action], writes: set[str], user_id: str | None, db: Any
) -> list[PlannedCall]:
    """Gold actions in order, with supporting lookups: the user's profile once the user is known
    (retail: after authentication), and the records each write touches, each looked up once."""
    calls: list[PlannedCall] = []
    seen: set[str] = set()

    def lookup(name: str, arguments: dict[str, Any]) -> None:
        key = json.dumps([name, arguments], sort_keys=True)
        if key not in seen:
            seen.add(key)
            calls.append(PlannedCall(name, arguments))

    # The profile holds the payment methods, reservations and orders; gold plans that read it already keep their own.
    has_profile = any(a.name == "get_user_details" for a in gold)
    profile = ("get_user_details", {"user_id": user_id}) if user_id and not has_profile else None
    if profile and domain == "airline":
        lookup(*profile)
    for index, action in enumerate(gold):
        if action.name in writes:
            for name, arguments in _lookups_before_write(domain, action, db):
                lookup(name, arguments)
        seen.add(json.dumps([action.name, dict(action.arguments)], sort_keys=True))
        calls.append(PlannedCall(action.name, dict(action.arguments), index))
        if profile and domain == "retail" and action.name.startswith("find_user_id"):
            lookup(*profile)
    return calls


def gold_dialogue(
    task: Task, calls: list[PlannedCall], writes: set[str]
) -> tuple[list[Step], dict[int, int]]:
    """The planned calls as a dialogue (a confirmation before each write, a summary at the end), and the
    step index of each gold action's call."""
    steps: list[Step] = []
    call_steps: dict[int, int] = {}
    for call in calls:
        if call.name in writes:
            steps.append(_confirm(call.name, call.arguments))
        if call.gold_index is not None:
            call_steps[call.gold_index] = len(steps)
        steps.append(_call(call.name, call.arguments))
    steps.append(_say(final_message(task)))
    return steps, call_steps


def _parse(content: str) -> Any:
    try:
        return json.loads(content)
    except (TypeError, ValueError):
        return content


def _execute(env: Environment, steps: list[Step]) -> list[ToolOutput]:
    outputs = []
    for index, step in enumerate(steps):
        if step.action.kind == "tool_call":
            result = env.get_response(
                Tau2ToolCall(
                    id=f"plan_{index}",
                    name=step.action.tool_name,
                    arguments=dict(step.action.arguments),
                    requestor="assistant",
                )
            )
            outputs.append(ToolOutput(index, step.action.tool_name, _parse(result.content or "")))
    return outputs
