"""ACEBench's decision points: for every call of a task's gold path, the state the agent sees there.

The gold path (``gold.py``: the first milestone list, with the errata that make it reach the
ground truth) is replayed in a fresh sandbox, so each state holds the earlier gold calls with
their real results:
- multi-step (solo): the ticket (the question), the tools plus ``done``; after the last gold call
  one more point whose gold is ``done``: stopping when the work is finished is a decision of its
  own (an extra call after it changes the sandbox, and end-to-end accuracy compares the sandbox);
- multi-turn: one user message carrying the whole request in the user's first person (what the
  simulated user would reveal over the dialogue, given up front, as τ²'s points do). Before a
  gold call to a write tool of a ``Travel`` task, a generic confirmation exchange is added
  (``confirm_writes``): ACEBench's airline policy requires the user's explicit "yes" before any
  booking change, and without it an agent that asks first would be scored wrong.

Ids are ``{domain}/{task_id}/{index}`` with ``index`` the call's position in the gold path.
Scoring and records are benchmark-neutral (``fama_dspy.results.decisions``).
"""

from __future__ import annotations

from collections.abc import Sequence

from fama_dspy.benchmarks.acebench.data import CHECKOUT, AceTask, load_tasks
from fama_dspy.benchmarks.acebench.gold import gold_calls
from fama_dspy.benchmarks.acebench.prompts import agent_policy, user_scenario
from fama_dspy.benchmarks.acebench.sandbox import make_sandbox
from fama_dspy.benchmarks.acebench.tools import STOP_TOOL, task_tools
from fama_dspy.conversation import DecisionState, Message, ToolCall
from fama_dspy.results.decisions import DecisionPoint, visible_text
from fama_dspy.results.matching import underivable_values
from fama_dspy.signatures.action import AgentAction

CONFIRM_QUESTION = "Before I make this change, please confirm that you want me to proceed (yes/no)."
CONFIRM_ANSWER = "Yes, I confirm. Please go ahead."


def task_decision_points(task: AceTask, confirm_writes: bool = True) -> list[DecisionPoint]:
    root = CHECKOUT.path()
    solo = task.solo
    specs = task_tools(task.functions, solo)
    by_name = {s.name: s for s in specs}
    policy = agent_policy(root, task.domain, task.involved_classes)
    sandbox = make_sandbox(root, task.domain, task.involved_classes, task.initial_config)
    view: list[Message] = [] if solo else [Message(role="user", content=user_scenario(task.question))]
    ticket = task.question if solo else None
    confirm = confirm_writes and not solo and "Travel" in task.involved_classes

    points: list[DecisionPoint] = []

    def add_point(state: DecisionState, gold: AgentAction, writes: bool | None, missing: list[str]) -> None:
        index = len(points)
        points.append(
            DecisionPoint(
                id=f"{task.domain}/{task.id}/{index}",
                domain=task.domain,
                task_id=task.id,
                index=index,
                solo=solo,
                state=state,
                gold=gold,
                writes=writes,
                derivable=not missing,
                underivable=missing,
            )
        )

    for index, call in enumerate(gold_calls(task)):
        spec = by_name.get(call.name)
        if confirm and spec is not None and spec.writes:
            view.append(Message(role="assistant", content=CONFIRM_QUESTION))
            view.append(Message(role="user", content=CONFIRM_ANSWER))
        state = DecisionState(policy=policy, tools=specs, messages=list(view), ticket=ticket)
        schema = spec.parameters if spec is not None else {}
        missing = underivable_values(call.arguments, schema, visible_text(state))
        gold = AgentAction(kind="tool_call", tool_name=call.name, arguments=dict(call.arguments))
        add_point(state, gold, spec.writes if spec is not None else None, missing)
        tool_call = ToolCall(name=call.name, arguments=dict(call.arguments), id=f"gold_{index}")
        result = sandbox.execute(tool_call)
        view.append(Message(role="assistant", tool_calls=[tool_call]))
        view.append(Message(role="tool", tool_name=call.name, content=result.content, error=result.error))
    if solo and points:
        state = DecisionState(policy=policy, tools=specs, messages=list(view), ticket=ticket)
        add_point(state, AgentAction(kind="tool_call", tool_name=STOP_TOOL, arguments={}), False, [])
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
