"""Scripted agents and small runners shared by the ACEBench tests (no LLM)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fama_dspy.signatures.action import AgentAction

from fama_dspy.benchmarks import EpisodeRequest, get_benchmark
from fama_dspy.benchmarks.acebench.data import AceTask
from fama_dspy.benchmarks.acebench.gold import GoldDecision, gold_plan


class ScriptAgent:
    """Plays a fixed list of actions, one per decision, then repeats the last."""

    def __init__(self, plan: list[AgentAction]):
        self.plan = plan
        self.step = 0

    def __call__(self, state) -> GoldDecision:
        index = min(self.step, len(self.plan) - 1)
        self.step += 1
        return GoldDecision(action=self.plan[index], info={"lm_calls": 0})


def edited_gold(edit: Callable[[list[AgentAction]], list[AgentAction]]) -> Callable[[AceTask], ScriptAgent]:
    """An agent builder: the task's gold plan (calls, then its ending) changed by ``edit``."""
    return lambda task: ScriptAgent(edit(gold_plan(task)))


def run(
    out: Path, domain: str, task_ids: list[str], builder=None, config: str = "scripted", **request: Any
) -> list[dict[str, Any]]:
    extra = {"agent_builder": builder} if builder is not None else {"agent": "gold"}
    return get_benchmark("acebench").run_episodes(
        EpisodeRequest(
            domain=domain,
            out=out,
            config_name=config,
            task_ids=task_ids,
            user="scripted",
            progress=False,
            extra=extra,
            **request,
        )
    )
