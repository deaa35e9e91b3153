"""τ-trait's own environment (``tau_trait.envs.base.Env``) from the checkout, for parity tests.

``envs/base.py`` imports ``envs/user.py``, which imports litellm and the hosted user services; a
stub stands in for that one module (its user answers every message with "ok"), so the reward
below is computed by τ-trait's own ``step`` and ``calculate_reward``.
"""

from __future__ import annotations

import enum
import importlib
import sys
import types
from typing import Any

from fama_dspy.benchmarks.tau_trait.data import CHECKOUT
from fama_dspy.benchmarks.tau_trait.loader import checkout_package, task_list, terminate_tools


class _User:
    def reset(self, instruction=None) -> str:
        return "Hi, I need help."

    def step(self, content: str) -> str:
        return "ok"

    def get_total_cost(self) -> float:
        return 0.0


def _user_module() -> types.ModuleType:
    module = types.ModuleType("tau_trait.envs.user")
    module.UserStrategy = enum.Enum("UserStrategy", {"LLM": "llm"})
    module.load_user = lambda **kwargs: _User()
    return module


def tau_trait_env(domain: str, task_id: str) -> tuple[Any, Any]:
    """(τ-trait's ``Env`` on the task's file, reset to the task; τ-trait's ``Action`` class)."""
    root = CHECKOUT.path()
    file, index = task_id.split("-")
    prefix = f"tau_trait.envs.{domain}"
    with checkout_package(root, domain):
        sys.modules["tau_trait.envs.user"] = _user_module()
        base = importlib.import_module("tau_trait.envs.base")
        tau_types = importlib.import_module("tau_trait.types")
        tools = importlib.import_module(f"{prefix}.tools").ALL_TOOLS
        load_data = importlib.import_module(f"{prefix}.data").load_data
        tasks = task_list(importlib.import_module(f"{prefix}.tasks_{file}"), tau_types.Task)
    env = base.Env(
        data_load_func=load_data,
        tools=tools,
        tasks=tasks,
        wiki="",
        rules=[],
        user_strategy="llm",
        user_model="none",
        task_index=int(index),
    )
    env.terminate_tools = list(terminate_tools(root / "tau_trait" / "envs" / domain / "env.py"))
    env.reset(task_index=int(index))
    return env, tau_types.Action


def tau_trait_verdict(record: dict[str, Any]) -> dict[str, Any]:
    """Replay a record's agent actions through τ-trait's ``Env.step``; its reward as plain data.

    Tool calls become τ-trait tool actions, agent messages ``respond`` actions. The reward is the
    one ``step`` returns when an action ends the episode (a terminate tool), else
    ``calculate_reward()`` after the last action (our customer ended the chat, where τ-trait's
    user would have said ``###STOP###``).
    """
    env, action_type = tau_trait_env(record["domain"], record["task_id"])
    result = None
    data_hash = env.get_data_hash()
    for message in record["messages"]:
        if message["role"] != "assistant":
            continue
        if message["tool_calls"]:
            actions = [action_type(name=c["name"], kwargs=c["arguments"]) for c in message["tool_calls"]]
        else:
            actions = [action_type(name="respond", kwargs={"content": message["content"]})]
        for action in actions:
            data_hash = env.get_data_hash()
            response = env.step(action)
            if response.done:
                result = response.info.reward_info
                break
            data_hash = env.get_data_hash()
        if result is not None:
            break
    if result is None:
        result = env.calculate_reward()
    info = result.info.model_dump()
    return {"reward": result.reward, "data_hash": data_hash, **info}
