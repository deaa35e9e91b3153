"""A τ-trait domain as fama-dspy uses it: policy, tools, fresh data and tasks, read from the checkout.

τ-trait (a fork of τ-bench v1) is read from a checkout the user names (``FAMA_TAU_TRAIT_DIR`` or
``--data-dir``; ``CHECKOUT``). Telehealth and telecom are its own domains; airline and retail are
τ-bench v1's, loaded the same way. A domain is imported once per process and checkout
(``loader.import_domain``); every episode then works on a deep copy of the data the domain's own
loader read, which is what τ-trait's ``load_data()`` would return again.

Tasks are plain ``TauTraitTask`` models: τ-trait's tasks have no ids, so a task's id is its file
and position (``test-3`` is the fourth task of ``tasks_test.py``).
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from fama_dspy.benchmarks.checkout import Checkout
from fama_dspy.benchmarks.tau_trait.loader import import_domain
from fama_dspy.errors import ConfigError

CHECKOUT = Checkout(
    title="τ-trait",
    env_var="FAMA_TAU_TRAIT_DIR",
    repository="https://github.com/collinear-ai/tau-trait",
    commit="5855e280d3d18ae1280b8b3ef21fe907ab62ba7e",
    marker="tau_trait/envs/telehealth/wiki.md",
)
#: τ-trait's own domains first; airline and retail are τ-bench v1's, shipped in the same checkout.
DOMAINS = ("telehealth", "telecom", "airline", "retail")


class GoldAction(BaseModel):
    """One gold action of a task: a tool name and its keyword arguments (τ-trait's ``Action``)."""

    name: str
    kwargs: dict[str, Any] = Field(default_factory=dict)


class TauTraitTask(BaseModel):
    """One τ-trait task: the user's instruction, the gold actions, the strings the agent must say."""

    id: str  # "{file}-{index}", e.g. "test-3"
    domain: str
    file: str  # the task file it comes from: train, dev or test
    index: int  # its position in that file
    user_id: str
    instruction: str
    actions: list[GoldAction]
    outputs: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class Domain:
    """One loaded domain. ``fresh_data()`` is the initial database; tools run on a copy of it."""

    name: str
    policy: str  # the domain's ``wiki.md``: τ-trait's tool-calling agent gets it as its system prompt
    tools: dict[str, type]  # tool name → τ-trait tool class, in the domain's ``ALL_TOOLS`` order
    terminate_tools: tuple[str, ...]  # calling one ends the episode (τ-trait's ``terminate_tools``)
    tasks: tuple[TauTraitTask, ...]  # train, dev, then test file, each in file order
    initial_data: dict[str, Any] = field(repr=False, default_factory=dict)

    def fresh_data(self) -> dict[str, Any]:
        return copy.deepcopy(self.initial_data)

    def task(self, task_id: str) -> TauTraitTask:
        for task in self.tasks:
            if task.id == task_id:
                return task
        raise ConfigError(f"no task {task_id!r} in τ-trait {self.name}")

    @property
    def agent_stop_tool(self) -> str | None:
        """The terminate tool the agent can actually call (telecom lists one it does not offer)."""
        return next((name for name in self.terminate_tools if name in self.tools), None)


def check_domain(domain: str) -> str:
    if domain not in DOMAINS:
        raise ConfigError(f"unknown τ-trait domain {domain!r}; choose one of: {', '.join(DOMAINS)}")
    return domain


def _to_task(domain: str, file: str, index: int, task: Any) -> TauTraitTask:
    return TauTraitTask(
        id=f"{file}-{index}",
        domain=domain,
        file=file,
        index=index,
        user_id=str(task.user_id),
        instruction=str(task.instruction),
        actions=[GoldAction(name=a.name, kwargs=copy.deepcopy(dict(a.kwargs))) for a in task.actions],
        outputs=[str(o) for o in task.outputs],
    )


_CACHE: dict[tuple[str, str], Domain] = {}
_CACHE_LOCK = threading.Lock()


def load_domain(domain: str, root: Path | None = None) -> Domain:
    """The domain from the checkout (``root``, default ``CHECKOUT.path()``), imported once per process."""
    check_domain(domain)
    root = Path(root) if root is not None else CHECKOUT.path()
    key = (str(root.resolve()), domain)
    with _CACHE_LOCK:
        if key not in _CACHE:
            source = import_domain(root, domain)
            tasks = tuple(
                _to_task(domain, file, index, task)
                for file, tasks in source.task_lists.items()
                for index, task in enumerate(tasks)
            )
            _CACHE[key] = Domain(
                name=domain,
                policy=source.wiki,
                tools={tool.get_info()["function"]["name"]: tool for tool in source.tools},
                terminate_tools=source.terminate_tools,
                tasks=tasks,
                initial_data=source.load_data(),
            )
        return _CACHE[key]
