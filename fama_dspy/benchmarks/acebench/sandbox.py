"""ACEBench's own sandbox classes, from the user's checkout, behind our ``ToolEnvironment``.

The classes (``BaseApi``, ``MessageApi``, ``ReminderApi``, ``FoodPlatform``, ``Travel``; standard
library only) are loaded from the checkout's ``model_inference/<multi_step|multi_turn>/scenariosen``
with ``importlib`` under private module names that are never registered in ``sys.modules``
(and without writing ``__pycache__`` into the user's checkout).
The phone classes import ``BaseApi`` by its absolute name in ACEBench's tree; while they load,
that one name is aliased in ``sys.modules`` to the ``BaseApi`` module just loaded (under a lock,
restored right after), so nothing of ACEBench stays importable and ``sys.path`` is untouched.

An episode instantiates its task's ``involved_classes`` as ACEBench does: ``Class()``, then
``_load_scenario`` with a copy of the class's ``initial_config`` entry, then again with the
``BaseApi`` entry. A validated call runs by method name, with the arguments as keyword
arguments, on *every* involved instance that has that public method, in ``involved_classes``
order (ACEBench does the same: ``turn_on_wifi`` switches the Wi-Fi flag of each phone class); the
last instance's return value is the result. ACEBench's own executor builds call strings and
``eval``s them; here model output only ever becomes arguments of a method looked up by name.

Results are shown as ACEBench shows one element of its execution results: a ``dict`` goes
through JSON (integer keys become strings), other values through ``str``, and what parses as
JSON is shown parsed (Python's rendering of it). An exception becomes
``Error during execution: <message>`` (an error result, as ACEBench's multi-step executor writes
it); so does a tool no involved class provides.
"""

from __future__ import annotations

import copy
import importlib.machinery
import importlib.util
import inspect
import json
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from fama_dspy.conversation import ToolCall
from fama_dspy.episodes import ToolResult

SCENARIO_DIRS = {
    "multi-step": "model_inference/multi_step/scenariosen",
    "multi-turn": "model_inference/multi_turn/scenariosen",
}
CLASS_FILES = {
    "BaseApi": "phone_platform/base_api.py",
    "MessageApi": "phone_platform/message.py",
    "ReminderApi": "phone_platform/reminder.py",
    "FoodPlatform": "phone_platform/food_services.py",
    "Travel": "travel.py",
}
#: The absolute name under which ACEBench's phone classes import ``BaseApi``.
BASE_API_IMPORT = "model_inference.multi_turn.scenariosen.phone_platform.base_api"
ERROR_PREFIX = "Error during execution: "

_LOAD_LOCK = threading.Lock()


class _ReadOnlyLoader(importlib.machinery.SourceFileLoader):
    """Loads a checkout's source file and writes no bytecode cache next to it."""

    def set_data(self, path, data, *, _mode=0o666) -> None:
        pass


def _load_module(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path, loader=_ReadOnlyLoader(name, str(path)))
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def _aliased(name: str, module: ModuleType) -> Iterator[None]:
    previous = sys.modules.get(name)
    sys.modules[name] = module
    try:
        yield
    finally:
        if previous is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = previous


@cache
def scenario_classes(root: str, domain: str) -> dict[str, type]:
    """ACEBench's sandbox classes of ``domain`` from the checkout at ``root`` (loaded once)."""
    folder = Path(root) / SCENARIO_DIRS[domain]
    prefix = f"_fama_acebench_{domain.replace('-', '_')}"
    with _LOAD_LOCK:
        base = _load_module(f"{prefix}_base_api", folder / CLASS_FILES["BaseApi"])
        classes: dict[str, type] = {"BaseApi": base.BaseApi}
        with _aliased(BASE_API_IMPORT, base):
            for class_name, relative in CLASS_FILES.items():
                if class_name == "BaseApi":
                    continue
                module = _load_module(f"{prefix}_{Path(relative).stem}", folder / relative)
                classes[class_name] = getattr(module, class_name)
    return classes


def render_result(value: Any) -> str:
    """One execution result as ACEBench shows it to its agent."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, dict):
        try:
            text = json.dumps(value)
        except (TypeError, ValueError):
            text = str(value)
    else:
        text = str(value)
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        return text
    return parsed if isinstance(parsed, str) else str(parsed)


class AceSandbox:
    """One episode's instances of the task's classes; executes validated calls by method name."""

    def __init__(self, classes: dict[str, type], involved_classes: list[str], initial_config: dict[str, Any]):
        self.instances: dict[str, Any] = {}
        for class_name in involved_classes:
            instance = classes[class_name]()
            instance._load_scenario(copy.deepcopy(initial_config.get(class_name, {})), long_context=False)
            instance._load_scenario(copy.deepcopy(initial_config.get("BaseApi", {})), long_context=False)
            self.instances[class_name] = instance
        #: Calls that reached the sandbox, and those that returned without raising.
        self.attempted = 0
        self.completed = 0

    def methods(self, name: str) -> list[Any]:
        """The bound public methods called ``name``, one per involved instance that has it."""
        if not name or name.startswith("_"):
            return []
        found = []
        for instance in self.instances.values():
            member = getattr(instance, name, None)
            if inspect.ismethod(member):
                found.append(member)
        return found

    def call(self, name: str, arguments: dict[str, Any]) -> Any:
        """The call's return value (the last owner's); raises what a method raises."""
        methods = self.methods(name)
        if not methods:
            raise LookupError(f"no involved class provides {name!r}")
        result = None
        for method in methods:
            # Each owner gets its own copy, as each of ACEBench's evaluated call strings does.
            result = method(**copy.deepcopy(arguments))
        return result

    def execute(self, call: ToolCall) -> ToolResult:
        self.attempted += 1
        try:
            value = self.call(call.name, dict(call.arguments))
        except Exception as exc:  # noqa: BLE001 - the sandbox's error is the agent's observation
            return ToolResult(content=f"{ERROR_PREFIX}{exc}", error=True)
        self.completed += 1
        return ToolResult(content=render_result(value))


def make_sandbox(
    root: Path | str, domain: str, involved_classes: list[str], initial_config: dict
) -> AceSandbox:
    return AceSandbox(scenario_classes(str(root), domain), involved_classes, initial_config)
