"""Judge validation set: failures with a known cause, made by perturbing gold trajectories.

Each train task of airline and retail becomes a scripted *gold dialogue* that τ² scores 1.0: the
user states the whole request up front, the agent performs the gold actions in order and asks for
explicit confirmation before every write (both domain policies require it, so an unperturbed
trajectory must not look like a policy violation), and ends with a summary that quotes the
information the task requires. A perturbation changes that plan in one known way; the result is
replayed through τ²'s real orchestrator, environment and evaluator (no LLM anywhere), and kept only
if τ² scores it 0 *for the intended reason*, checked on the extracted ``FailureEvidence``:

- DPV: a write the policy forbids, made without asking for confirmation: cancelling a reservation
  the cancellation rules exclude, compensation the task does not grant (airline), cancelling an
  order for another, unauthenticated user (retail). Skipping a confirmation or authentication step
  alone never changes τ²'s reward (it checks the final DB, actions and communicated facts, not the
  conversation), so the skipped step always comes with the write it let through. Expected: the DB
  differs, every gold action was performed, no tool error.
- WRCO: one id or amount of a gold write replaced by its neighbour in the tool output it was read
  from (the next flight of a search, another variant of the product, another payment method of the
  user). Expected: the DB differs and the gold write shows the swapped argument as wrong.
- CM: a gold write replaced by a tool that does not fit the request (an exchange handled as a
  return, a flight change as a cancellation, ...), or one of its ids replaced by an invented one
  that occurs nowhere in the conversation. Expected: the DB differs and the gold write is missed
  (wrong tool), or the tool rejects the invented id (invented argument).
- IFU: the conversation ends (or is transferred) before the last requested write, or the final
  answer leaves out information the user asked for. Expected: gold writes never called, or required
  information missing, and nothing else wrong.

Run ``python -m fama_dspy.benchmarks.tau2.perturb --out data/judge_validation/`` to rebuild the set; see
``judge_validation.py`` to score judges on it.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from tau2.data_model.message import ToolCall as Tau2ToolCall
from tau2.data_model.message import UserMessage
from tau2.data_model.tasks import Action, Task
from tau2.environment.environment import Environment
from tau2.user.base import STOP, UserState, ValidUserInputMessage

from fama_dspy import __version__
from fama_dspy.analysis.evidence import FailureEvidence
from fama_dspy.benchmarks.tau2.builders import make_environment, wrap_agent
from fama_dspy.benchmarks.tau2.convert import tools_to_specs
from fama_dspy.benchmarks.tau2.evidence import evidence_from_record
from fama_dspy.benchmarks.tau2.gold import GoldDecision, final_message, gold_actions
from fama_dspy.benchmarks.tau2.runner import EpisodeSettings, run_episode
from fama_dspy.benchmarks.tau2.tasks import load_tasks, user_request_text
from fama_dspy.benchmarks.tau2.user_base import HarnessUser
from fama_dspy.conversation import DecisionState
from fama_dspy.results.records import is_success
from fama_dspy.signatures.action import AgentAction

__all__ = [
    "EXAMPLES_FILE",
    "GENERATORS",
    "Perturbation",
    "Step",
    "TaskContext",
    "build_validation_set",
    "gold_dialogue",
    "load_validation_set",
    "perturbations",
    "replay",
    "task_context",
]

EXAMPLES_FILE = "perturbed_failures.jsonl"
MANIFEST_FILE = "manifest.json"
DEFAULT_DOMAINS = ("airline", "retail")
#: Per (domain, category): 14 examples per category in about 350 KB of JSONL.
DEFAULT_PER_CATEGORY = 7
CONFIRM_REPLY = "Yes, please go ahead."
ANYTHING_ELSE = "Is there anything else I can help you with?"
TRANSFER_MESSAGE = "YOU ARE BEING TRANSFERRED TO A HUMAN AGENT. PLEASE HOLD ON."
EARLY_CLOSING = "Your request has been handled. Thank you for contacting us, goodbye!"
#: Candidates replayed per (task, perturbation kind) before giving up on it.
MAX_CANDIDATES = 6
_MAX_STEPS = 200

_ID_LIKE = re.compile(r"^#?(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9][A-Za-z0-9_-]{3,40}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_AMOUNT_KEY = re.compile(r"amount|price|balance", re.IGNORECASE)
_RESERVATION_ID = re.compile(r"\b[A-Z0-9]{6}\b")
_USER_ID_IN_TEXT = re.compile(r"\b([a-z]+_[a-z]+_\d{3,5})\b")
_COMPENSATION_REQUEST = re.compile(r"compensat|voucher", re.IGNORECASE)
_CANCEL_REQUEST = re.compile(r"\bcancel", re.IGNORECASE)


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


# -- what a perturbation may look at ---------------------------------------------------------------


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


@dataclass
class TaskContext:
    domain: str
    task: Task
    index: int  # position of the task in its split: varies which argument a perturbation picks
    writes: set[str]
    gold: list[Action]
    steps: list[Step]
    #: Gold action index -> index of its call in ``steps``.
    call_steps: dict[int, int]
    outputs: list[ToolOutput]
    #: The domain DB before any action (after the task's own initialisation).
    db: Any
    now: str
    user_id: str | None
    #: Everything the gold conversation shows: an invented value must occur nowhere in it.
    visible_text: str

    @property
    def final_step(self) -> int:
        return len(self.steps) - 1

    def write_indices(self) -> list[int]:
        return [i for i, a in enumerate(self.gold) if a.name in self.writes]

    def confirm_step(self, gold_index: int) -> int:
        """Index of the confirmation before a gold write (its call step minus one)."""
        return self.call_steps[gold_index] - 1

    def call_step(self, name: str, arguments: dict[str, Any]) -> int | None:
        """Index of the first step calling ``name`` with ``arguments``."""
        return next(
            (
                i
                for i, s in enumerate(self.steps)
                if s.action.kind == "tool_call"
                and s.action.tool_name == name
                and s.action.arguments == arguments
            ),
            None,
        )


def _initialised_environment(domain: str, task: Task) -> Environment:
    env = make_environment(domain)
    initial = task.initial_state
    env.set_state(
        initialization_data=initial.initialization_data if initial is not None else None,
        initialization_actions=initial.initialization_actions if initial is not None else None,
        message_history=list(initial.message_history or []) if initial is not None else [],
    )
    return env


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


def _user_id(domain: str, task: Task, gold: list[Action]) -> str | None:
    """From the gold arguments, else the gold authentication's answer, else the request text."""
    user_id = next((a.arguments["user_id"] for a in gold if "user_id" in a.arguments), None)
    if user_id is not None:
        return user_id
    env = _initialised_environment(domain, task)
    for action in gold:
        if action.name.startswith("find_user_id"):
            found = env.get_response(
                Tau2ToolCall(
                    id="auth", name=action.name, arguments=dict(action.arguments), requestor="assistant"
                )
            )
            if not found.error and found.content:
                return found.content.strip()
    match = _USER_ID_IN_TEXT.search(user_request_text(task))
    return match.group(1) if match else None


def task_context(domain: str, task: Task, index: int = 0) -> TaskContext:
    env = _initialised_environment(domain, task)
    db = _initialised_environment(domain, task).tools.db
    writes = {s.name for s in tools_to_specs(env.get_tools()) if s.writes}
    gold = gold_actions(task)
    if any(a.requestor != "assistant" for a in gold):
        raise ValueError(f"task {task.id} has user actions; perturbations cover agent-only domains")
    user_id = _user_id(domain, task, gold)
    steps, call_steps = gold_dialogue(task, planned_calls(domain, gold, writes, user_id, db), writes)
    outputs = _execute(env, steps)
    visible = [user_request_text(task), final_message(task)]
    visible += [json.dumps(o.data, ensure_ascii=False) for o in outputs]
    visible += [json.dumps(s.action.arguments, ensure_ascii=False) for s in steps]
    now = env.tools._get_datetime() if hasattr(env.tools, "_get_datetime") else ""
    return TaskContext(
        domain=domain,
        task=task,
        index=index,
        writes=writes,
        gold=gold,
        steps=steps,
        call_steps=call_steps,
        outputs=outputs,
        db=db,
        now=str(now),
        user_id=user_id,
        visible_text="\n".join(visible),
    )


# -- perturbations ---------------------------------------------------------------------------------

#: Evidence check of one perturbation: None when the failure has the intended cause, else why not.
Expectation = Callable[[FailureEvidence], "str | None"]


@dataclass
class Perturbation:
    label: str  # the error category (DPV, WRCO, CM, IFU)
    kind: str
    description: str
    steps: list[Step]
    expect: Expectation = field(repr=False)


def _rotated(items: list, ctx: TaskContext) -> list:
    """Items starting at a task-dependent offset, so examples vary in which argument they touch."""
    if not items:
        return items
    offset = zlib.crc32(f"{ctx.domain}/{ctx.task.id}".encode()) % len(items)
    return items[offset:] + items[:offset]


def _leaves(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, path + (i,))
    else:
        yield path, value


def _with_leaf(arguments: dict[str, Any], path: tuple, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(arguments)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


def _path_text(path: tuple) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(path))


def _by_distance(values: list, index: int, original: Any) -> list:
    """Values nearest to position ``index`` first (next, previous, ...), same type, not the original."""
    out: list = []
    for distance in range(1, len(values)):
        for j in (index + distance, index - distance):
            if 0 <= j < len(values):
                v = values[j]
                if type(v) is type(original) and v != original and v not in out:
                    out.append(v)
    return out


def neighbours(data: Any, value: Any) -> list:
    """Values next to ``value`` in a tool output: the same field of the neighbouring records (list items,
    or records keyed by id), neighbouring keys of a mapping keyed by id, or neighbouring list elements."""
    found: list = []

    def add(values: list) -> None:
        found.extend(v for v in values if v not in found)

    def visit(node: Any, container: Any) -> None:
        if isinstance(node, dict):
            keys = list(node)
            if (
                isinstance(value, str)
                and value in node
                and len(keys) > 1
                and all(isinstance(node[k], dict) for k in keys)
            ):
                add(_by_distance(keys, keys.index(value), value))
            for key, child in node.items():
                if not isinstance(child, (dict, list)) and type(child) is type(value) and child == value:
                    records = (
                        container
                        if isinstance(container, list)
                        else list(container.values())
                        if isinstance(container, dict)
                        else []
                    )
                    records = [r for r in records if isinstance(r, dict)]
                    position = next((i for i, r in enumerate(records) if r is node), None)
                    if position is not None:
                        add(_by_distance([r.get(key) for r in records], position, value))
                visit(child, node)
        elif isinstance(node, list):
            for i, child in enumerate(node):
                if not isinstance(child, (dict, list)) and type(child) is type(value) and child == value:
                    add(_by_distance(node, i, value))
                visit(child, node)

    visit(data, None)
    return found


def _id_like(value: Any) -> bool:
    """Identifiers (HAT178, #W2378156, credit_card_2408938, 7706410293); dates look alike but are not."""
    return isinstance(value, str) and bool(_ID_LIKE.match(value)) and not _DATE.match(value)


def _swappable(path: tuple, value: Any) -> bool:
    """Ids and amounts: values an agent copies from a tool output."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, str):
        return _id_like(value)
    key = next((p for p in reversed(path) if isinstance(p, str)), "")
    return isinstance(value, (int, float)) and bool(_AMOUNT_KEY.search(key))


def _replaced_call(
    ctx: TaskContext, gold_index: int, name: str, arguments: dict[str, Any], confirm_as_called: bool = True
) -> list[Step]:
    """The gold dialogue with one gold write's call replaced; its confirmation describes what the agent
    believes it is doing (``confirm_as_called``) or the gold action it was asked for."""
    steps = list(ctx.steps)
    steps[ctx.call_steps[gold_index]] = _call(name, arguments)
    if confirm_as_called:
        steps[ctx.confirm_step(gold_index)] = _confirm(name, arguments)
    return steps


def _no_other_fault(ev: FailureEvidence, allow: tuple[str, ...] = ()) -> str | None:
    checks = {
        "missed": ev.missed_actions,
        "wrong_arguments": ev.wrong_argument_actions,
        "tool_errors": ev.tool_errors,
        "missing_information": ev.missing_information,
    }
    extra = [name for name, items in checks.items() if items and name not in allow]
    return f"unintended {', '.join(extra)}" if extra else None


def _expect_db_mismatch(ev: FailureEvidence) -> str | None:
    return None if ev.db_mismatch else "the DB still matches"


# DPV -------------------------------------------------------------------------------------------------


def _expect_forbidden_write(ev: FailureEvidence) -> str | None:
    return _expect_db_mismatch(ev) or _no_other_fault(ev)


def _cancellation_allowed(reservation: Any, db: Any, now: str) -> bool:
    """Airline policy: cancellable if booked within 24 h, business, insured (the reason may be covered)
    or any of its flights was cancelled by the airline."""
    created = datetime.fromisoformat(str(reservation.created_at))
    if now and datetime.fromisoformat(now) - created <= timedelta(hours=24):
        return True
    if reservation.cabin == "business" or reservation.insurance == "yes":
        return True
    for flight in reservation.flights:
        record = db.flights.get(flight.flight_number)
        status = record.dates.get(flight.date) if record is not None else None
        if getattr(status, "status", None) == "cancelled":
            return True
    return False


def cancel_ineligible_reservation(ctx: TaskContext) -> Iterator[Perturbation]:
    """Airline: the user asks to cancel; the agent cancels a reservation of theirs that the cancellation
    rules exclude (one the request names, or one the gold looks up)."""
    request = user_request_text(ctx.task)
    if ctx.domain != "airline" or ctx.user_id is None or ctx.user_id not in ctx.db.users:
        return
    if not _CANCEL_REQUEST.search(request):
        return
    own = list(ctx.db.users[ctx.user_id].reservations)
    read = [a.arguments.get("reservation_id") for a in ctx.gold if a.name == "get_reservation_details"]
    cancelled = {a.arguments.get("reservation_id") for a in ctx.gold if a.name == "cancel_reservation"}
    mentioned = _RESERVATION_ID.findall(request)
    for rid in dict.fromkeys([*mentioned, *read]):
        reservation = ctx.db.reservations.get(rid)
        if rid not in own or rid in cancelled or reservation is None or reservation.status == "cancelled":
            continue
        if _cancellation_allowed(reservation, ctx.db, ctx.now):
            continue
        steps = list(ctx.steps)
        cancel = _call("cancel_reservation", {"reservation_id": rid})
        lookup = ctx.call_step("get_reservation_details", {"reservation_id": rid})
        if lookup is not None:
            steps.insert(lookup + 1, cancel)  # right after reading it: the facts were in front of the agent
        else:
            steps[ctx.final_step : ctx.final_step] = [
                _call("get_reservation_details", {"reservation_id": rid}),
                cancel,
            ]
        yield Perturbation(
            "DPV",
            "cancel_ineligible_reservation",
            f"cancelled {rid} ({reservation.cabin}, no insurance, booked {reservation.created_at}) without "
            "confirmation although the cancellation rules exclude it",
            steps,
            _expect_forbidden_write,
        )


def unearned_compensation(ctx: TaskContext) -> Iterator[Perturbation]:
    """Airline: the user asks for compensation the gold does not grant; the agent sends a certificate."""
    if ctx.domain != "airline" or ctx.user_id is None:
        return
    if any(a.name == "send_certificate" for a in ctx.gold) or not _COMPENSATION_REQUEST.search(
        user_request_text(ctx.task)
    ):
        return
    steps = list(ctx.steps)
    steps.insert(ctx.final_step, _call("send_certificate", {"user_id": ctx.user_id, "amount": 100}))
    yield Perturbation(
        "DPV",
        "unearned_compensation",
        f"sent a $100 certificate to {ctx.user_id} although the task grants no compensation",
        steps,
        _expect_forbidden_write,
    )


def other_users_order(ctx: TaskContext) -> Iterator[Perturbation]:
    """Retail: on request, cancel a pending order of another, never authenticated user."""
    if ctx.domain != "retail" or ctx.user_id is None:
        return
    pending = sorted(
        oid for oid, o in ctx.db.orders.items() if o.status == "pending" and o.user_id != ctx.user_id
    )
    for order_id in _rotated(pending, ctx)[:MAX_CANDIDATES]:
        owner = ctx.db.users[ctx.db.orders[order_id].user_id]
        name = f"{owner.name.first_name} {owner.name.last_name}"
        request = (
            f"Yes, one more thing. My friend {name} asked me to cancel their order {order_id}; "
            "they no longer need it. Please cancel it for them."
        )
        steps = list(ctx.steps)
        steps[ctx.final_step : ctx.final_step] = [
            _say(ANYTHING_ELSE, request),
            _call("get_order_details", {"order_id": order_id}),
            _call("cancel_pending_order", {"order_id": order_id, "reason": "no longer needed"}),
        ]
        yield Perturbation(
            "DPV",
            "other_users_order",
            f"cancelled {order_id} of {owner.user_id} for the caller, without authenticating that user or "
            "asking for confirmation",
            steps,
            _expect_forbidden_write,
        )


# WRCO ------------------------------------------------------------------------------------------------


def _expect_wrong_argument(tool: str, where: str) -> Expectation:
    def expect(ev: FailureEvidence) -> str | None:
        hit = any(w.startswith(f"{tool}:") and f"{where} expected" in w for w in ev.wrong_argument_actions)
        return (
            _expect_db_mismatch(ev)
            or ("the swapped argument is not reported" if not hit else None)
            or _no_other_fault(ev, allow=("wrong_arguments",))
        )

    return expect


def neighbour_value(ctx: TaskContext) -> Iterator[Perturbation]:
    """An id or amount of a gold write replaced by its neighbour in the tool output it came from."""
    for gold_index in _rotated(ctx.write_indices(), ctx):
        action = ctx.gold[gold_index]
        earlier = [o for o in reversed(ctx.outputs) if o.step < ctx.call_steps[gold_index]]
        for path, value in _rotated([leaf for leaf in _leaves(action.arguments) if _swappable(*leaf)], ctx):
            source = next(((o, n) for o in earlier if (n := neighbours(o.data, value))), None)
            if source is None:
                continue
            output, candidates = source
            wrong = candidates[0]
            arguments = _with_leaf(dict(action.arguments), path, wrong)
            yield Perturbation(
                "WRCO",
                "neighbour_value",
                f"{action.name}: {_path_text(path)} {json.dumps(value)} -> {json.dumps(wrong)}, its neighbour in "
                f"the {output.name} output",
                _replaced_call(ctx, gold_index, action.name, arguments),
                _expect_wrong_argument(action.name, _path_text(path)),
            )


# CM --------------------------------------------------------------------------------------------------

_ADDRESS_KEYS = ("address1", "address2", "city", "state", "country", "zip")


def _wrong_tool(ctx: TaskContext, action: Action) -> tuple[str, dict[str, Any], str] | None:
    """(tool, arguments, what was misread) for a gold write whose request has a plausible wrong reading."""
    args = action.arguments
    if action.name == "exchange_delivered_order_items":
        return (
            "return_delivered_order_items",
            {k: args[k] for k in ("order_id", "item_ids", "payment_method_id")},
            "an exchange handled as a return",
        )
    if action.name == "modify_pending_order_items":
        return (
            "cancel_pending_order",
            {"order_id": args["order_id"], "reason": "no longer needed"},
            "an item modification handled as a cancellation",
        )
    if action.name == "modify_pending_order_address" and ctx.user_id:
        return (
            "modify_user_address",
            {"user_id": ctx.user_id, **{k: args[k] for k in _ADDRESS_KEYS}},
            "the order's shipping address changed on the user's profile instead",
        )
    if action.name == "update_reservation_flights":
        return (
            "cancel_reservation",
            {"reservation_id": args["reservation_id"]},
            "a flight change handled as a cancellation",
        )
    return None


def _expect_missed(tool: str) -> Expectation:
    def expect(ev: FailureEvidence) -> str | None:
        hit = any(m.startswith(f"{tool}(") for m in ev.missed_actions)
        return (
            _expect_db_mismatch(ev)
            or ("the replaced write is not reported missed" if not hit else None)
            or _no_other_fault(ev, allow=("missed", "wrong_arguments"))
        )

    return expect


def wrong_tool(ctx: TaskContext) -> Iterator[Perturbation]:
    """A gold write replaced by a tool that does not fit the request (the confirmation still named the
    right action: the agent misread the request when acting)."""
    for gold_index in _rotated(ctx.write_indices(), ctx):
        action = ctx.gold[gold_index]
        replacement = _wrong_tool(ctx, action)
        if replacement is None:
            continue
        name, arguments, misreading = replacement
        yield Perturbation(
            "CM",
            "wrong_tool",
            f"called {name} instead of {action.name}: {misreading}",
            _replaced_call(ctx, gold_index, name, arguments, confirm_as_called=False),
            _expect_missed(action.name),
        )


def _invented(value: str) -> str:
    """Same shape, other digits: looks like a real id but is none."""
    return "".join(str((int(c) + 7) % 10) if c.isdigit() else c for c in value)


def _expect_rejected(tool: str) -> Expectation:
    def expect(ev: FailureEvidence) -> str | None:
        rejected = any(e.startswith(f"{tool}:") for e in ev.tool_errors)
        return (
            _expect_db_mismatch(ev)
            or ("the invented id was not rejected" if not rejected else None)
            or _no_other_fault(ev, allow=("missed", "wrong_arguments", "tool_errors"))
        )

    return expect


def invented_id(ctx: TaskContext) -> Iterator[Perturbation]:
    """One id of a gold write replaced by an invented one that occurs nowhere in the conversation."""
    for gold_index in _rotated(ctx.write_indices(), ctx):
        action = ctx.gold[gold_index]
        ids = [(p, v) for p, v in _leaves(action.arguments) if _id_like(v)]
        for path, value in _rotated(ids, ctx):
            invented = _invented(value)
            if invented == value or invented in ctx.visible_text:
                continue
            yield Perturbation(
                "CM",
                "invented_id",
                f"{action.name}: {_path_text(path)} {json.dumps(value)} -> invented {json.dumps(invented)}",
                _replaced_call(
                    ctx, gold_index, action.name, _with_leaf(dict(action.arguments), path, invented)
                ),
                _expect_rejected(action.name),
            )


# IFU -------------------------------------------------------------------------------------------------


def _expect_unperformed_write(ev: FailureEvidence) -> str | None:
    # Facts the task wants said often come from the write that was never made: missing them is IFU too.
    return (
        _expect_db_mismatch(ev)
        or ("no gold action is missed" if not ev.missed_actions else None)
        or _no_other_fault(ev, allow=("missed", "missing_information"))
    )


def _before_last_write(ctx: TaskContext) -> tuple[int, Action] | None:
    writes = ctx.write_indices()
    if not writes:
        return None
    last = writes[-1]
    return ctx.confirm_step(last), ctx.gold[last]


def stop_before_last_request(ctx: TaskContext) -> Iterator[Perturbation]:
    """The agent says goodbye before performing the last requested write."""
    cut = _before_last_write(ctx)
    if cut is None:
        return
    end, action = cut
    yield Perturbation(
        "IFU",
        "stop_before_last_request",
        f"ended the conversation before {action.name}({json.dumps(action.arguments, ensure_ascii=False)[:80]})",
        ctx.steps[:end] + [_say(EARLY_CLOSING)],
        _expect_unperformed_write,
    )


def transfer_before_last_request(ctx: TaskContext) -> Iterator[Perturbation]:
    """The agent transfers to a human before performing the last requested write."""
    cut = _before_last_write(ctx)
    if cut is None:
        return
    end, action = cut
    summary = f"The user asked for {action.name.replace('_', ' ')}."
    yield Perturbation(
        "IFU",
        "transfer_before_last_request",
        f"transferred to a human agent before {action.name}",
        ctx.steps[:end] + [_call("transfer_to_human_agents", {"summary": summary}), _say(TRANSFER_MESSAGE)],
        _expect_unperformed_write,
    )


def omit_requested_information(ctx: TaskContext) -> Iterator[Perturbation]:
    """The final answer leaves out the information the user asked for."""
    criteria = ctx.task.evaluation_criteria
    if criteria is None or not criteria.communicate_info:
        return

    def expect(ev: FailureEvidence) -> str | None:
        if not ev.missing_information:
            return "no required information is missing"
        return ("the DB differs" if ev.db_mismatch else None) or _no_other_fault(
            ev, allow=("missing_information",)
        )

    yield Perturbation(
        "IFU",
        "omit_requested_information",
        f"never told the user {', '.join(criteria.communicate_info)}",
        ctx.steps[:-1] + [_say(EARLY_CLOSING)],
        expect,
    )


#: Category -> its perturbation kinds, in the order they are tried (rotated per task for variety).
GENERATORS: dict[str, list[Callable[[TaskContext], Iterator[Perturbation]]]] = {
    "DPV": [cancel_ineligible_reservation, unearned_compensation, other_users_order],
    "WRCO": [neighbour_value],
    "CM": [wrong_tool, invented_id],
    "IFU": [stop_before_last_request, transfer_before_last_request, omit_requested_information],
}


def perturbations(ctx: TaskContext, category: str) -> Iterator[Perturbation]:
    """Candidate perturbations of one category for one task, kinds rotated per task."""
    for generator in _rotated(list(GENERATORS[category]), ctx):
        yield from generator(ctx)


# -- building the set ------------------------------------------------------------------------------


_FINDINGS = ("missed_actions", "wrong_argument_actions", "missing_information", "tool_errors")


def beyond(evidence: FailureEvidence, baseline: FailureEvidence) -> FailureEvidence:
    """``evidence`` without the findings the gold dialogue itself has (some gold plans look up a product
    that does not exist): only what the perturbation added is checked against its expectation."""
    return evidence.model_copy(
        update={f: [x for x in getattr(evidence, f) if x not in getattr(baseline, f)] for f in _FINDINGS}
    )


def rejection(
    record: dict[str, Any], evidence: FailureEvidence, perturbation: Perturbation, baseline: FailureEvidence
) -> str | None:
    """Why a replayed perturbation is not a clean example of its category (None: keep it);
    ``baseline`` is the evidence of the unperturbed gold dialogue."""
    if record.get("error"):
        return f"the episode errored: {record['error']}"
    if record.get("reward", 1.0) != 0.0:
        return f"τ² scored it {record.get('reward')}"
    if evidence.invalid_actions or evidence.fallbacks:
        return "an action was rejected before execution"
    if record.get("termination") != "user_stop":
        return f"ended by {record.get('termination')}"
    return perturbation.expect(beyond(evidence, baseline))


def example_row(ctx: TaskContext, perturbation: Perturbation, evidence: FailureEvidence) -> dict[str, Any]:
    return {
        "id": f"{ctx.domain}/{ctx.task.id}/{perturbation.kind}",
        "label": perturbation.label,
        "kind": perturbation.kind,
        "domain": ctx.domain,
        "task_id": ctx.task.id,
        "description": perturbation.description,
        "evidence": evidence.model_dump(mode="json"),
    }


def build_validation_set(
    out: Path | str,
    domains: tuple[str, ...] = DEFAULT_DOMAINS,
    split: str = "train",
    per_category: int = DEFAULT_PER_CATEGORY,
    console: Console | None = None,
) -> dict[str, Any]:
    """Write up to ``per_category`` examples per (domain, category) to ``<out>/perturbed_failures.jsonl``
    (at most one per task and category) and a manifest with the counts; returns the manifest."""
    console = console or Console(stderr=True)
    rows: list[dict[str, Any]] = []
    tried: Counter[str] = Counter()
    for domain in domains:
        counts: Counter[str] = Counter()
        for index, task in enumerate(load_tasks(domain, split)):
            if all(counts[c] >= per_category for c in GENERATORS):
                break
            ctx = task_context(domain, task, index)
            gold = replay(task, domain, ctx.steps)
            if not is_success(gold["reward"]):
                console.print(
                    f"[yellow]{domain}/{task.id}: the gold dialogue scores {gold['reward']}; skipped"
                )
                continue
            baseline = evidence_from_record(gold, task)
            for category in GENERATORS:
                if counts[category] >= per_category:
                    continue
                for attempt, perturbation in enumerate(perturbations(ctx, category)):
                    if attempt >= MAX_CANDIDATES:
                        break
                    tried[perturbation.kind] += 1
                    record = replay(task, domain, perturbation.steps, perturbation.kind)
                    evidence = evidence_from_record(record, task)
                    if rejection(record, evidence, perturbation, baseline) is None:
                        rows.append(example_row(ctx, perturbation, evidence))
                        counts[category] += 1
                        break
        console.print(f"{domain}: " + ", ".join(f"{c} {counts[c]}" for c in GENERATORS))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / EXAMPLES_FILE
    path.write_text("".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows))
    manifest = {
        "file": EXAMPLES_FILE,
        "examples": len(rows),
        "split": split,
        "domains": list(domains),
        "per_category_and_domain": per_category,
        "by_label": dict(Counter(r["label"] for r in rows)),
        "by_domain_and_label": {
            d: dict(Counter(r["label"] for r in rows if r["domain"] == d)) for d in domains
        },
        "by_kind": dict(Counter(r["kind"] for r in rows)),
        "replayed_per_kind": dict(tried),
        "bytes": path.stat().st_size,
        "fama_dspy_version": __version__,
    }
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def load_validation_set(path: Path | str) -> list[dict[str, Any]]:
    """Rows of a validation file (or of ``<folder>/perturbed_failures.jsonl``), evidence validated."""
    path = Path(path)
    if path.is_dir():
        path = path / EXAMPLES_FILE
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    for row in rows:
        row["evidence"] = FailureEvidence.model_validate(row["evidence"])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fama_dspy.benchmarks.tau2.perturb",
        description="Build the judge validation set: perturbed gold trajectories that τ² scores 0 for a known reason.",
    )
    parser.add_argument("--out", type=Path, default=Path("data/judge_validation"))
    parser.add_argument("--domains", default=",".join(DEFAULT_DOMAINS))
    parser.add_argument("--split", default="train")
    parser.add_argument(
        "--per-category", type=int, default=DEFAULT_PER_CATEGORY, help="examples per (domain, category)"
    )
    args = parser.parse_args(argv)
    console = Console(stderr=True)
    manifest = build_validation_set(
        args.out,
        tuple(d.strip() for d in args.domains.split(",") if d.strip()),
        args.split,
        args.per_category,
        console,
    )
    console.print(json.dumps(manifest, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
