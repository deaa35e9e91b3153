"""Per-episode construction of the τ² agent and user.

The runner needs a fresh agent and user for every episode, built against that episode's
environment (tools) and task (solo ticket, scripted users). A builder is a function
``(task, environment, solo) -> τ² agent | τ² user``.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from typing import Any

import dspy
from tau2.agent.base import LocalAgent
from tau2.data_model.tasks import Task
from tau2.environment.environment import Environment
from tau2.environment.tool import Tool
from tau2.registry import registry
from tau2.user.base import BaseUser
from tau2.user.user_simulator import DummyUser, UserSimulator

from fama_dspy.benchmarks.tau2.agent import DEFAULT_MAX_REASKS, FamaSoloTau2Agent, FamaTau2Agent
from fama_dspy.benchmarks.tau2.baseline import RecordingLLMAgent, RecordingLLMSoloAgent
from fama_dspy.benchmarks.tau2.gold import GoldReplayAgent, ScriptedUser
from fama_dspy.benchmarks.tau2.tasks import opening_request
from fama_dspy.benchmarks.tau2.user import FamaUser
from fama_dspy.episodes.seeding import seed_agent
from fama_dspy.errors import ConfigError

AgentBuilder = Callable[[Task, Environment, bool], LocalAgent]
UserBuilder = Callable[[Task, Environment, bool], BaseUser]
USER_KINDS = ("fama", "tau2", "scripted")


def make_environment(domain: str, solo: bool = False) -> Environment:
    constructor = registry.get_env_constructor(domain)
    return constructor(solo_mode=True) if solo else constructor()


def agent_tools(environment: Environment, solo: bool) -> list[Tool]:
    """The agent's tools; in solo mode it also operates the user's device (τ²'s solo convention)."""
    tools = environment.get_tools()
    if solo and environment.user_tools is not None:
        tools = tools + environment.get_user_tools()
    return tools


def user_tools(environment: Environment) -> list[Tool] | None:
    return environment.get_user_tools() if environment.user_tools is not None else None


def wrap_agent(agent: Any, task: Task, environment: Environment, solo: bool, max_reasks: int) -> LocalAgent:
    seed_agent(agent, None, task.id)  # τ²'s orchestrator hands over only the seed; the rollout id needs both
    tools, policy = agent_tools(environment, solo), environment.get_policy()
    if solo:
        return FamaSoloTau2Agent(
            tools=tools, domain_policy=policy, agent=agent, task=task, max_reasks=max_reasks
        )
    return FamaTau2Agent(tools=tools, domain_policy=policy, agent=agent, max_reasks=max_reasks)


def fama_agent_builder(
    agent_factory: Callable[[], Any], max_reasks: int = DEFAULT_MAX_REASKS
) -> AgentBuilder:
    """A fresh agent from ``agent_factory()`` per episode, behind the validating adapter."""

    def build(task: Task, environment: Environment, solo: bool) -> LocalAgent:
        return wrap_agent(agent_factory(), task, environment, solo, max_reasks)

    return build


def gold_agent_builder() -> AgentBuilder:
    """The gold replay agent (no LLM), behind the same adapter as any other agent."""

    def build(task: Task, environment: Environment, solo: bool) -> LocalAgent:
        return wrap_agent(GoldReplayAgent(task, solo=solo), task, environment, solo, DEFAULT_MAX_REASKS)

    return build


def llm_agent_builder(llm: str, llm_args: dict | None = None) -> AgentBuilder:
    """τ²'s reference ``LLMAgent`` (``LLMSoloAgent`` in solo mode) on ``llm`` with ``llm_args``."""

    def build(task: Task, environment: Environment, solo: bool) -> LocalAgent:
        tools, policy, args = (
            agent_tools(environment, solo),
            environment.get_policy(),
            deepcopy(llm_args or {}),
        )
        if solo:
            return RecordingLLMSoloAgent(tools=tools, domain_policy=policy, task=task, llm=llm, llm_args=args)
        return RecordingLLMAgent(tools=tools, domain_policy=policy, llm=llm, llm_args=args)

    return build


def user_builder(
    kind: str, llm: str | None = None, llm_args: dict | None = None, lm: dspy.LM | None = None
) -> UserBuilder:
    """``fama``: our DSPy user (``lm``, or one built from ``llm``/``llm_args``, or DSPy's default LM);
    ``tau2``: τ²'s ``UserSimulator`` on ``llm``/``llm_args``; ``scripted``: the no-LLM gold user.
    Solo episodes always get τ²'s ``DummyUser`` (its orchestrator requires it)."""
    if kind not in USER_KINDS:
        raise ConfigError(f"unknown user {kind!r}; choose one of: {', '.join(USER_KINDS)}")
    if kind == "tau2" and not llm:
        raise ConfigError("the tau2 user simulator needs a model: pass user_llm (a LiteLLM model string)")

    def build(task: Task, environment: Environment, solo: bool) -> BaseUser:
        instructions = str(task.user_scenario)
        if solo:
            return DummyUser(instructions=instructions)
        tools = user_tools(environment)
        if kind == "fama":
            if lm is None and not llm and dspy.settings.lm is None:
                # Otherwise every user turn would fail and fall back to a canned reply.
                raise ConfigError(
                    "the fama user simulator needs a model: pass user_lm or user_llm, or configure DSPy"
                )
            return FamaUser(
                tools=tools,
                instructions=instructions,
                llm=llm,
                llm_args=llm_args,
                lm=lm,
                opener=opening_request(task),
            )
        if kind == "tau2":
            return UserSimulator(
                tools=tools, instructions=instructions, llm=llm, llm_args=deepcopy(llm_args or {})
            )
        return ScriptedUser(task, tools=tools)

    return build
