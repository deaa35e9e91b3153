"""τ²'s decision points: for every gold *agent* action of a task, the state the agent would see there.

The gold actions before it are replayed in a fresh environment:
- interactive: one user message carrying the whole request (reason for call, what the user
  knows, the task's instructions: everything the user would reveal, given up front), in the
  user's first person (``user_sim.voice``: τ² writes it to the simulator as "you …"); then the
  gold tool calls with their real outputs. Gold *user* actions (telecom device steps) are run on
  the user's side and reported as a user message. Before a gold call to a *write* tool, a
  generic confirmation exchange is added (``confirm_writes``): the domain policies require
  explicit confirmation before changes, and without it a policy-following agent that asks first
  would be scored wrong;
- solo: the ticket, the gold calls (user-device calls included, as the solo agent makes them)
  and the ``done`` tool in the tool list.

Scoring and records are benchmark-neutral (``fama_dspy.results.decisions``).
"""

from __future__ import annotations

from collections.abc import Sequence

from tau2.data_model.message import ToolCall as Tau2ToolCall
from tau2.environment.tool import Tool, as_tool

from fama_dspy.benchmarks.tau2.agent import STOP_TOKEN, solo_ticket
from fama_dspy.benchmarks.tau2.builders import agent_tools, make_environment
from fama_dspy.benchmarks.tau2.convert import tau2_to_view, tools_to_specs
from fama_dspy.benchmarks.tau2.gold import gold_actions
from fama_dspy.benchmarks.tau2.tasks import load_tasks, user_request_text
from fama_dspy.conversation import DecisionState, Message, ToolCall, ToolSpec
from fama_dspy.results.decisions import DecisionPoint, visible_text
from fama_dspy.results.matching import underivable_values
from fama_dspy.signatures.action import AgentAction
from fama_dspy.user_sim.voice import first_person

CONFIRM_QUESTION = "Before I make this change, please confirm that you want me to proceed (yes/no)."
CONFIRM_ANSWER = "Yes, I confirm. Please go ahead."


def _stop_tool() -> Tool:
    """The solo agent's stop tool, identical to the one τ²'s LLMSoloAgent adds."""

    def done() -> str:
        """Call this function when you are done with the task."""
        return STOP_TOKEN

    return as_tool(done)


def task_decision_points(
    task, domain: str, solo: bool = False, confirm_writes: bool = True
) -> list[DecisionPoint]:
    actions = gold_actions(task)
    if not actions:
        return []
    env = make_environment(domain, solo)
    initial = task.initial_state
    history = list(initial.message_history or []) if initial is not None else []
    env.set_state(
        initialization_data=initial.initialization_data if initial is not None else None,
        initialization_actions=initial.initialization_actions if initial is not None else None,
        message_history=history,
    )
    tools = agent_tools(env, solo) + ([_stop_tool()] if solo else [])
    specs = tools_to_specs(tools)
    by_name: dict[str, ToolSpec] = {s.name: s for s in specs}
    user_side = (
        {t.name: t for t in tools_to_specs(env.get_user_tools())} if env.user_tools is not None else {}
    )
    names: dict[str, str] = {}
    view: list[Message] = tau2_to_view(history, names)
    if not solo:
        view.append(Message(role="user", content=first_person(user_request_text(task))))
    ticket = solo_ticket(task) if solo else None

    points = []
    for index, action in enumerate(actions):
        agent_turn = solo or action.requestor == "assistant"
        spec = by_name.get(action.name) if agent_turn else user_side.get(action.name)
        if agent_turn:
            if not solo and confirm_writes and spec is not None and spec.writes:
                view.append(Message(role="assistant", content=CONFIRM_QUESTION))
                view.append(Message(role="user", content=CONFIRM_ANSWER))
            state = DecisionState(policy=env.get_policy(), tools=specs, messages=list(view), ticket=ticket)
            schema = spec.parameters if spec is not None else {}
            missing = underivable_values(action.arguments, schema, visible_text(state), action.compare_args)
            points.append(
                DecisionPoint(
                    id=f"{domain}/{task.id}/{index}",
                    domain=domain,
                    task_id=task.id,
                    index=index,
                    solo=solo,
                    state=state,
                    gold=AgentAction(
                        kind="tool_call", tool_name=action.name, arguments=dict(action.arguments)
                    ),
                    compare_args=action.compare_args,
                    writes=spec.writes if spec is not None else None,
                    derivable=not missing,
                    underivable=missing,
                )
            )
        call_id = f"gold_{index}"
        requestor = "assistant" if solo else action.requestor
        result = env.get_response(
            Tau2ToolCall(id=call_id, name=action.name, arguments=dict(action.arguments), requestor=requestor)
        )
        if agent_turn:
            view.append(
                Message(
                    role="assistant",
                    tool_calls=[ToolCall(name=action.name, arguments=dict(action.arguments), id=call_id)],
                )
            )
            view.append(
                Message(role="tool", content=result.content or "", tool_name=action.name, error=result.error)
            )
        else:
            view.append(
                Message(
                    role="user",
                    content=f"I did {action.get_func_format()} on my phone. It showed: {result.content}",
                )
            )
    return points


def iter_decision_points(
    domain: str,
    split: str | None = None,
    task_ids: Sequence[str] | None = None,
    num_tasks: int | None = None,
    solo: bool = False,
    confirm_writes: bool = True,
) -> list[DecisionPoint]:
    """Decision points of the selected tasks, in task order then gold order."""
    points: list[DecisionPoint] = []
    for task in load_tasks(domain, split, task_ids=task_ids, num_tasks=num_tasks, solo=solo):
        points.extend(task_decision_points(task, domain, solo=solo, confirm_writes=confirm_writes))
    return points
