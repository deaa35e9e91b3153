"""Scripted agents and runs shared by the τ-trait tests (no LLM)."""

from __future__ import annotations

from fama_dspy.signatures.action import AgentAction

from fama_dspy.benchmarks import EpisodeRequest, get_benchmark


def call(name: str, **arguments) -> AgentAction:
    return AgentAction(kind="tool_call", tool_name=name, arguments=arguments)


def say(text: str) -> AgentAction:
    return AgentAction(kind="message", message=text)


class ScriptAgent:
    """Answers from a list of actions, repeating the last one."""

    def __init__(self, actions: list[AgentAction]):
        self.actions = list(actions)
        self.step = 0

    def __call__(self, state):
        action = self.actions[min(self.step, len(self.actions) - 1)]
        self.step += 1
        return action


def run_scripted(domain: str, task_id: str, actions: list[AgentAction], out, config: str, **request) -> dict:
    """One episode of ``actions`` against the scripted customer, through the benchmark interface."""
    records = get_benchmark("tau-trait").run_episodes(
        EpisodeRequest(
            domain=domain,
            task_ids=[task_id],
            user="scripted",
            out=out,
            config_name=config,
            progress=False,
            extra={"agent_builder": lambda task: ScriptAgent(actions)},
            **request,
        )
    )
    assert len(records) == 1
    return records[0]
