"""The gold path of a task and a replay agent that follows it (no LLM).

The gold path is the task's first milestone list, as calls (``calls.parse_calls``; a milestone of
several calls gives them in order). On 9 of the 50 English tasks that path does not reach
ACEBench's own ground truth: a step is missing, or a milestone disagrees with the ground truth
and the question. ``ERRATA`` lists the smallest edit of each such path, with the reason, so
that the replay reaches the ground truth; ``tests/benchmarks/acebench`` checks that every erratum
is still needed (the unedited path fails) and sufficient (the edited one scores 1.0). The
milestones themselves are never edited: process accuracy is always scored against ACEBench's.

The replay agent makes the gold calls one per decision, then ends as the episode expects: the
stop tool in solo mode, "finish conversation" to the user in interactive mode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fama_dspy.benchmarks.acebench.calls import Call, parse_calls
from fama_dspy.benchmarks.acebench.data import AceTask
from fama_dspy.benchmarks.acebench.prompts import FINISH_PHRASE
from fama_dspy.benchmarks.acebench.tools import STOP_TOOL
from fama_dspy.conversation import DecisionState
from fama_dspy.signatures.action import AgentAction


@dataclass(frozen=True)
class Erratum:
    """Replace ``remove`` milestones from index ``at`` of the first milestone list by ``calls``."""

    at: int
    remove: int
    calls: tuple[str, ...]
    why: str


_PIZZA = (
    (
        "add_food_delivery_order(username='Eve', merchant_name=\"Domino's\", "
        "items=[{'product': 'Super Supreme Pizza', 'quantity': 1}])"
    ),
)
_PIZZA_WHY = (
    "the milestone orders 'Super Supreme', which is not on Domino's menu (the call fails); "
    "the ground truth holds an order of 'Super Supreme Pizza'"
)
_HELEN_LOGIN = ("login_food_platform(username='Helen', password='password321')",)
_HELEN_WHY = (
    "the milestones never log in to the food platform, so the order fails; the ground truth "
    "holds the order and Helen logged in"
)
_REPLY = (
    "get_latest_message_id()",
    "delete_message(message_id=4)",
    (
        "send_message(sender_name='Eve', receiver_name='Frank', "
        "message='The price of the purchased goods is 198.0 yuan')"
    ),
)
_REPLY_WHY = (
    "the milestones delete the earliest message (3) and end the reply with a period; the question "
    "asks to delete the most recent one, and the ground truth keeps message 3, lacks message 4 and "
    "holds the reply without the period"
)
_LOGIN_WHY = "the device starts logged out and the milestones never log in; the ground truth has it logged in"

ERRATA: dict[str, tuple[Erratum, ...]] = {
    "agent_multi_step_0": (Erratum(1, 1, _PIZZA, _PIZZA_WHY),),
    "agent_multi_step_1": (Erratum(2, 1, _PIZZA, _PIZZA_WHY),),
    "agent_multi_step_12": (Erratum(3, 0, _HELEN_LOGIN, _HELEN_WHY),),
    "agent_multi_step_13": (Erratum(4, 0, _HELEN_LOGIN, _HELEN_WHY),),
    "agent_multi_step_14": (Erratum(5, 3, _REPLY, _REPLY_WHY),),
    "agent_multi_step_15": (Erratum(4, 3, _REPLY, _REPLY_WHY),),
    "agent_multi_step_16": (
        Erratum(0, 0, ("login_device()",), _LOGIN_WHY),
        Erratum(4, 3, _REPLY, _REPLY_WHY),
    ),
    "agent_multi_step_17": (Erratum(3, 3, _REPLY, _REPLY_WHY),),
    "agent_multi_turn_6": (Erratum(0, 0, ("login_device()",), _LOGIN_WHY),),
}


def gold_milestones(task: AceTask, errata: bool = True) -> list[str]:
    """The call strings of the gold path: the first milestone list, with the task's errata applied."""
    path = list(task.milestones[0]) if task.milestones else []
    if errata:
        # Highest index first, so each erratum's index refers to the unedited list.
        for erratum in sorted(ERRATA.get(task.id, ()), key=lambda e: e.at, reverse=True):
            path[erratum.at : erratum.at + erratum.remove] = list(erratum.calls)
    return path


def gold_calls(task: AceTask, errata: bool = True) -> list[Call]:
    return [call for text in gold_milestones(task, errata) for call in parse_calls(text)]


def gold_plan(task: AceTask, errata: bool = True) -> list[AgentAction]:
    plan = [
        AgentAction(kind="tool_call", tool_name=c.name, arguments=dict(c.arguments))
        for c in gold_calls(task, errata)
    ]
    if task.solo:
        plan.append(AgentAction(kind="tool_call", tool_name=STOP_TOOL, arguments={}))
    else:
        plan.append(AgentAction(kind="message", message=FINISH_PHRASE))
    return plan


@dataclass
class GoldDecision:
    action: AgentAction
    info: dict[str, Any] = field(default_factory=dict)


class GoldReplayAgent:
    """Follows the agent contract; one gold action per decision, then repeats its ending."""

    def __init__(self, task: AceTask, errata: bool = True):
        self.plan = gold_plan(task, errata)
        self.step = 0

    def __call__(self, state: DecisionState) -> GoldDecision:
        index = min(self.step, len(self.plan) - 1)
        self.step += 1
        return GoldDecision(action=self.plan[index], info={"gold_step": index, "lm_calls": 0})
