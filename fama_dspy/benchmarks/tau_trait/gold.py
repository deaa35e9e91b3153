"""Gold replay: a scripted agent that performs a task's gold actions, then says its required outputs.

No LLM, so a gold replay through the runner (with the scripted customer) is a deterministic
end-to-end test of the harness: it must reach reward 1.0 on every task. It is requested with
``EpisodeRequest(extra={"agent": "gold"})`` and no agent factory (config name ``gold`` unless
one is given).

The plan, one action per decision:
1. every gold action an agent can make (``agent_gold_actions``), in gold order, terminate tools
   left for the end;
2. one message holding every required output (τ-trait looks for each in the agent's replies);
3. the gold terminate call, if the task has one and no outputs (it ends the episode); otherwise
   the message of step 2 is the last word and the scripted customer ends the chat.

Some gold actions cannot be made by any agent whose calls are validated before execution: a tool
the domain does not offer (telecom's retired ``manage_devices`` and ``check_network_status``,
airline's misspelt ``update_reservation_baggage``) or arguments its own schema rejects
(telehealth's ``think(note=...)``, telecom's ``troubleshoot_device(device_id=...)`` and
``get_services(customer_id=...)``, airline's ``flight_type="multi_city"``). All but the last fail in
τ-trait as well (``Unknown action``, an unexpected keyword) and change nothing, so skipping them
leaves the expected data as it is; the airline one books in τ-trait, which is why gold replay
scores 59 of 60 airline tasks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fama_dspy.benchmarks.tau_trait.data import Domain, GoldAction, TauTraitTask
from fama_dspy.benchmarks.tau_trait.tools import tool_specs
from fama_dspy.conversation import DecisionState
from fama_dspy.signatures.action import AgentAction
from fama_dspy.validation import validate_action

AGENT_NAME = "gold"


def final_message(task: TauTraitTask) -> str:
    if task.outputs:
        return "Here is a summary: " + "; ".join(task.outputs) + "."
    return "Your request has been handled."


def as_call(action: GoldAction) -> AgentAction:
    return AgentAction(kind="tool_call", tool_name=action.name, arguments=dict(action.kwargs))


def agent_gold_actions(task: TauTraitTask, domain: Domain) -> list[tuple[int, GoldAction]]:
    """(index, action) of the gold actions an agent can make: a tool the domain offers, called with
    arguments its schema accepts (see the module docstring)."""
    specs = tool_specs(domain)
    return [
        (index, action)
        for index, action in enumerate(task.actions)
        if action.name in domain.tools and validate_action(as_call(action), specs) is None
    ]


def gold_plan(task: TauTraitTask, domain: Domain) -> list[AgentAction]:
    """The agent's side of the replay, in order (see the module docstring)."""
    calls = [a for _, a in agent_gold_actions(task, domain)]
    ending = [a for a in calls if a.name in domain.terminate_tools]
    plan = [as_call(a) for a in calls if a.name not in domain.terminate_tools]
    if task.outputs or not ending:
        plan.append(AgentAction(kind="message", message=final_message(task)))
    plan.extend(as_call(a) for a in ending[:1])
    return plan


@dataclass
class GoldDecision:
    action: AgentAction
    info: dict[str, Any] = field(default_factory=dict)


class GoldReplayAgent:
    """Follows the agent contract; replays ``gold_plan`` one action per decision, then repeats its end."""

    def __init__(self, task: TauTraitTask, domain: Domain):
        self.plan = gold_plan(task, domain)
        self.step = 0

    def __call__(self, state: DecisionState) -> GoldDecision:
        index = min(self.step, len(self.plan) - 1)
        self.step += 1
        return GoldDecision(action=self.plan[index], info={"gold_step": index, "lm_calls": 0})
