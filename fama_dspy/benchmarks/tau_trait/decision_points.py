"""τ-trait's decision points: for every gold action of a task, the state the agent would see there.

The view before gold action ``i`` (gold actions replayed on a fresh copy of the domain's data):
- one user message carrying the whole request (the task's instruction, in the user's first
  person: ``tasks.request_text``), everything the user would reveal, given up front;
- each earlier gold call with its real result;
- before a gold call to a *write* tool, a generic confirmation exchange (``confirm_writes``):
  both policies require explicit confirmation before changes (telehealth: "you must list the action
  details and obtain explicit patient confirmation (yes) to proceed"; telecom: "get their explicit
  confirmation to proceed"), so without it a policy-following agent that asks first would be
  scored wrong. The words are the same as τ²'s decision views.

Gold actions no validated agent can make (``gold.agent_gold_actions``: a tool the domain does not
offer, or arguments its schema rejects, such as telecom's ``troubleshoot_device(device_id=...)``)
are neither decision points nor part of later views; in τ-trait they fail and change nothing.

Points have ids ``tau-trait/{domain}/{task_id}/{index}`` (``index``: the position in the task's
gold action list) and are scored benchmark-neutrally (``fama_dspy.results.decisions``).
"""

from __future__ import annotations

from collections.abc import Sequence

from fama_dspy.benchmarks.tau_trait.customers import CONFIRM_ANSWER, CONFIRM_QUESTION
from fama_dspy.benchmarks.tau_trait.data import TauTraitTask, load_domain
from fama_dspy.benchmarks.tau_trait.environment import invoke_tool
from fama_dspy.benchmarks.tau_trait.episodes import BENCHMARK
from fama_dspy.benchmarks.tau_trait.gold import agent_gold_actions, as_call
from fama_dspy.benchmarks.tau_trait.tasks import load_tasks, request_text
from fama_dspy.benchmarks.tau_trait.tools import tool_specs
from fama_dspy.conversation import DecisionState, Message, ToolCall
from fama_dspy.results.decisions import DecisionPoint, visible_text
from fama_dspy.results.matching import underivable_values


def point_id(domain: str, task_id: str, index: int) -> str:
    return f"{BENCHMARK}/{domain}/{task_id}/{index}"


def task_decision_points(task: TauTraitTask, confirm_writes: bool = True) -> list[DecisionPoint]:
    domain = load_domain(task.domain)
    specs = tool_specs(domain)
    by_name = {s.name: s for s in specs}
    data = domain.fresh_data()
    view = [Message(role="user", content=request_text(task))]
    points: list[DecisionPoint] = []
    for index, action in agent_gold_actions(task, domain):
        spec = by_name[action.name]
        if confirm_writes and spec.writes:
            view.append(Message(role="assistant", content=CONFIRM_QUESTION))
            view.append(Message(role="user", content=CONFIRM_ANSWER))
        state = DecisionState(policy=domain.policy, tools=specs, messages=list(view))
        missing = underivable_values(action.kwargs, spec.parameters, visible_text(state))
        points.append(
            DecisionPoint(
                id=point_id(task.domain, task.id, index),
                domain=task.domain,
                task_id=task.id,
                index=index,
                solo=False,
                state=state,
                gold=as_call(action),
                writes=spec.writes,
                derivable=not missing,
                underivable=missing,
            )
        )
        call_id = f"gold_{index}"
        result = invoke_tool(domain.tools, data, action.name, dict(action.kwargs))
        view.append(
            Message(
                role="assistant",
                tool_calls=[ToolCall(name=action.name, arguments=dict(action.kwargs), id=call_id)],
            )
        )
        view.append(Message(role="tool", tool_name=action.name, content=result.content, error=result.error))
    return points


def iter_decision_points(
    domain: str,
    split: str | None = None,
    task_ids: Sequence[str] | None = None,
    num_tasks: int | None = None,
    confirm_writes: bool = True,
) -> list[DecisionPoint]:
    """Decision points of the selected tasks, in task order then gold order."""
    points: list[DecisionPoint] = []
    for task in load_tasks(domain, split, task_ids=task_ids, num_tasks=num_tasks):
        points.extend(task_decision_points(task, confirm_writes=confirm_writes))
    return points
