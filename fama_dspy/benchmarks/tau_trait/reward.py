"""τ-trait's reward, computed exactly as its environment does (``Env.calculate_reward``).

- Database: the domain data after the episode is hashed (``to_hashable`` then SHA-256 of its
  ``str``) and compared with the hash of fresh data on which the task's gold actions were replayed
  in order. The replay skips the domain's terminate tools; a gold action naming a tool the domain
  does not have changes nothing (τ-trait answers it with ``Unknown action``), and a gold action
  that raises is ignored. A mismatch makes the reward 0.
- Outputs: every string of the task's ``outputs`` must occur in some agent reply (a message the
  agent sent to the user, τ-trait's ``respond`` action): ``output.lower() in
  reply.lower().replace(",", "")``. Only the reply loses its commas, so an output that itself
  contains a comma can never be found, as in τ-trait. A missing output makes the reward 0.

τ-trait computes the reward only when the episode is done (the user's ``###STOP###`` or a
terminate tool); an episode cut by the step limit keeps reward 0 (``episodes.py``). Tools that
stamp today's date (telehealth's ``cancel_appointment``) hash the same in the episode and in the
replay because both run on the same day, as in τ-trait.
"""

from __future__ import annotations

from collections.abc import Iterable
from hashlib import sha256
from typing import Any

from pydantic import BaseModel, Field

from fama_dspy.benchmarks.tau_trait.data import Domain, TauTraitTask
from fama_dspy.benchmarks.tau_trait.environment import invoke_tool
from fama_dspy.conversation import Message

#: τ-trait's name for "send a message to the user"; gold action lists never hold one.
RESPOND_ACTION_NAME = "respond"


def to_hashable(item: Any) -> Any:
    """τ-trait's ``to_hashable``: dicts as sorted (key, value) tuples, lists as tuples, sets sorted."""
    if isinstance(item, dict):
        return tuple((key, to_hashable(value)) for key, value in sorted(item.items()))
    if isinstance(item, list):
        return tuple(to_hashable(element) for element in item)
    if isinstance(item, set):
        return tuple(sorted(to_hashable(element) for element in item))
    return item


def consistent_hash(value: Any) -> str:
    """τ-trait's ``consistent_hash``: SHA-256 of the value's ``str``."""
    return sha256(str(value).encode("utf-8")).hexdigest()


def data_hash(data: dict[str, Any]) -> str:
    return consistent_hash(to_hashable(data))


def replay_calls(domain: Domain, calls: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Fresh data after the ``(tool name, arguments)`` calls, terminate tools skipped."""
    data = domain.fresh_data()
    for name, arguments in calls:
        if name in domain.terminate_tools or name == RESPOND_ACTION_NAME:
            continue
        invoke_tool(domain.tools, data, name, dict(arguments))
    return data


def gold_data(domain: Domain, task: TauTraitTask) -> dict[str, Any]:
    """The data τ-trait expects after the task: its gold actions replayed on fresh data."""
    return replay_calls(domain, ((a.name, a.kwargs) for a in task.actions))


def agent_replies(messages: Iterable[Message]) -> list[str]:
    """The texts the agent sent to the user (τ-trait's ``respond`` actions), in order."""
    return [m.content for m in messages if m.role == "assistant" and not m.tool_calls and m.content]


def output_found(output: str, replies: Iterable[str]) -> bool:
    return any(output.lower() in reply.lower().replace(",", "") for reply in replies)


class TauTraitReward(BaseModel):
    """τ-trait's verdict on one episode, as plain data for the record."""

    reward: float
    db_match: bool
    data_hash: str
    gold_data_hash: str
    #: Each required output → whether an agent reply holds it (empty when the task requires none).
    outputs: dict[str, bool] = Field(default_factory=dict)
    #: τ-trait's ``r_outputs`` (1.0 or 0.0), None when the task requires no outputs.
    r_outputs: float | None = None

    def breakdown(self) -> dict[str, float]:
        parts = {"db": 1.0 if self.db_match else 0.0}
        if self.r_outputs is not None:
            parts["outputs"] = self.r_outputs
        return parts


def calculate_reward(
    domain: Domain, task: TauTraitTask, data: dict[str, Any], replies: Iterable[str]
) -> TauTraitReward:
    """The reward of an episode that left ``data`` and sent ``replies``."""
    replies = list(replies)
    episode_hash = data_hash(data)
    gold_hash = data_hash(gold_data(domain, task))
    db_match = episode_hash == gold_hash
    outputs = {output: output_found(output, replies) for output in task.outputs}
    r_outputs = (1.0 if all(outputs.values()) else 0.0) if task.outputs else None
    reward = 1.0 if db_match and r_outputs in (None, 1.0) else 0.0
    return TauTraitReward(
        reward=reward,
        db_match=db_match,
        data_hash=episode_hash,
        gold_data_hash=gold_hash,
        outputs=outputs,
        r_outputs=r_outputs,
    )
