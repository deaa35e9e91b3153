"""What a perturbation may look at: one task's gold dialogue, the tool outputs it shows, the DB and the user."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from tau2.data_model.message import ToolCall as Tau2ToolCall
from tau2.data_model.tasks import Action, Task
from tau2.environment.environment import Environment

from fama_dspy.benchmarks.tau2.builders import make_environment
from fama_dspy.benchmarks.tau2.convert import tools_to_specs
from fama_dspy.benchmarks.tau2.gold import final_message, gold_actions
from fama_dspy.benchmarks.tau2.judge_validation.dialogue import (
    Step,
    ToolOutput,
    _execute,
    gold_dialogue,
    planned_calls,
)
from fama_dspy.benchmarks.tau2.tasks import user_request_text

__all__ = ["TaskContext", "task_context"]

_USER_ID_IN_TEXT = re.compile(r"\b([a-z]+_[a-z]+_\d{3,5})\b")


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
