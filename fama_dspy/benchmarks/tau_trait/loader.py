"""Import a τ-trait domain's own modules (tools, data loader, task lists) from the user's checkout.

τ-trait is not a Python package one can install for this: its top-level ``__init__`` imports the
environment base class, whose user simulator imports litellm, requests, jinja2 and dotenv, and
calls a hosted service. The tools need only the standard library and the tiny ``Tool`` base, the
tasks only pydantic (``tau_trait.types``). So the import here:
- registers *empty* package objects for ``tau_trait``, ``tau_trait.envs`` and
  ``tau_trait.envs.<domain>`` whose ``__path__`` is the checkout's folder: the checkout's modules
  find each other under their own absolute names (``from tau_trait.envs.tool import Tool``), and
  no ``__init__`` above the domain's ``tools``/``data`` packages runs;
- never touches ``sys.path`` and writes no bytecode into the checkout;
- removes every ``tau_trait`` module from ``sys.modules`` afterwards (and puts back any that were
  there before, e.g. an installed τ-trait): the loaded classes and functions keep working through
  their own references, and nothing outside this module sees the names.

The domain's terminate tools (``self.terminate_tools`` in its ``env.py``) are read with ``ast``
without running ``env.py``, which imports the environment base.
"""

from __future__ import annotations

import ast
import importlib
import sys
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fama_dspy.errors import ConfigError

PACKAGE = "tau_trait"
#: The task files a domain may have, in the order their tasks are listed.
TASK_FILES = ("train", "dev", "test")

_LOCK = threading.Lock()


@dataclass(frozen=True)
class CheckoutDomain:
    """What one domain's own modules provide, imported from the checkout."""

    tools: list[type]  # the domain's ``ALL_TOOLS``, in its order
    load_data: Any  # the domain's ``data.load_data``: a fresh copy of its JSON data per call
    task_lists: dict[str, list[Any]]  # task file ("train", "dev", "test") → its τ-trait ``Task`` objects
    wiki: str
    terminate_tools: tuple[str, ...]


def _own_modules() -> dict[str, types.ModuleType]:
    return {n: m for n, m in sys.modules.items() if n == PACKAGE or n.startswith(PACKAGE + ".")}


def _package(name: str, folder: Path) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__path__ = [str(folder)]
    module.__package__ = name
    return module


@contextmanager
def checkout_package(root: Path, domain: str) -> Iterator[None]:
    """While inside, ``tau_trait.*`` names the checkout's modules (see the module docstring)."""
    with _LOCK:
        saved = _own_modules()
        for name in saved:
            del sys.modules[name]
        write_bytecode = sys.dont_write_bytecode
        sys.dont_write_bytecode = True  # leave the user's checkout as they cloned it
        try:
            envs = root / PACKAGE / "envs"
            sys.modules[PACKAGE] = _package(PACKAGE, root / PACKAGE)
            sys.modules[f"{PACKAGE}.envs"] = _package(f"{PACKAGE}.envs", envs)
            sys.modules[f"{PACKAGE}.envs.{domain}"] = _package(f"{PACKAGE}.envs.{domain}", envs / domain)
            yield
        finally:
            sys.dont_write_bytecode = write_bytecode
            for name in _own_modules():
                del sys.modules[name]
            sys.modules.update(saved)


def terminate_tools(env_file: Path) -> tuple[str, ...]:
    """The names assigned to ``self.terminate_tools`` in a domain's ``env.py`` (read, never run)."""
    if not env_file.exists():
        return ()
    for node in ast.walk(ast.parse(env_file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Attribute) and t.attr == "terminate_tools" for t in node.targets
        ):
            return tuple(ast.literal_eval(node.value))
    return ()


def task_list(module: types.ModuleType, task_type: type) -> list[Any]:
    """The one list of ``Task`` objects a task file defines (its name varies: ``TASKS_TEST``, ``TASKS``)."""
    lists = [
        value
        for name, value in vars(module).items()
        if not name.startswith("_")
        and isinstance(value, list)
        and value
        and all(isinstance(item, task_type) for item in value)
    ]
    if len(lists) != 1:
        raise ConfigError(f"{module.__name__} defines {len(lists)} task lists; expected exactly one.")
    return lists[0]


def import_domain(root: Path, domain: str) -> CheckoutDomain:
    """Import ``domain``'s tools, data loader and task lists from the checkout at ``root``."""
    folder = root / PACKAGE / "envs" / domain
    if not (folder / "tools" / "__init__.py").exists():
        raise ConfigError(f"{root} has no τ-trait domain {domain!r} (no {folder / 'tools'}).")
    prefix = f"{PACKAGE}.envs.{domain}"
    with checkout_package(root, domain):
        tools = list(importlib.import_module(f"{prefix}.tools").ALL_TOOLS)
        load_data = importlib.import_module(f"{prefix}.data").load_data
        task_type = importlib.import_module(f"{PACKAGE}.types").Task
        task_lists = {
            split: task_list(importlib.import_module(f"{prefix}.tasks_{split}"), task_type)
            for split in TASK_FILES
            if (folder / f"tasks_{split}.py").exists()
        }
    return CheckoutDomain(
        tools=tools,
        load_data=load_data,
        task_lists=task_lists,
        wiki=(folder / "wiki.md").read_text(encoding="utf-8"),
        terminate_tools=terminate_tools(folder / "env.py"),
    )
