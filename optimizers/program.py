"""Compiled agent programs: one JSON file that rebuilds the whole agent, never a pickle.

``agent.save(path)`` (DSPy's JSON save of a ``FamaAgent``) writes:
- every predictor's state (instructions, field descriptions, demos), as DSPy's ``dump_state``;
- ``"fama"``: the construction settings (base mode, active specialists, memory k, TOR threshold,
  per-turn gates, verify-and-revise, ...);
- ``"fama_program"``: ``schema_version`` plus ``agent.program_info``: the failure profile the
  active set came from, the model spec used for tuning, the optimizer with its budget and scores;
- ``"metadata"``: DSPy's dependency versions.

``load_program(path)`` reads that file with ``json`` only, checks the schema version and that the
file's predictors are exactly those of the configuration it describes, rebuilds the ``FamaAgent``
from the settings and loads the predictor state into it (LM endpoint keys are never restored).
Files land in ``data/compiled/`` unless a path is given.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dspy

from fama_dspy import __version__
from fama_dspy.adapters import LEGACY_PROMPT_LAYOUT, current_prompt_layout
from fama_dspy.errors import ConfigError
from fama_dspy.fama_agent import PROGRAM_SCHEMA_VERSION, FamaAgent

logger = logging.getLogger("fama_dspy.optimizers.program")

DEFAULT_PROGRAM_DIR = Path("data/compiled")
#: Top-level keys of a saved program that are not predictor state.
NON_PREDICTOR_KEYS = ("fama", "fama_program", "fama_demo_pool", "metadata")
#: Saved settings that ``FamaAgent.load_state`` re-applies, so an override must be merged into them.
_SETTING_OVERRIDES = (
    "verify_and_revise",
    "follow_up_prompting",
    "max_workers",
    "gates",
    "memory_k",
    "tor_min_chars",
    "decoding",
    "id_policy",
)


def default_program_path(name: str, root: Path | str = DEFAULT_PROGRAM_DIR) -> Path:
    """``data/compiled/<name>.json`` (the name may already end in .json)."""
    return Path(root) / (name if name.endswith(".json") else f"{name}.json")


def save_program(
    agent: FamaAgent,
    path: Path | str | None = None,
    metadata: dict[str, Any] | None = None,
    *,
    name: str | None = None,
    profile: Any = None,
    model: str | None = None,
) -> Path:
    """Attach ``metadata`` (and the profile / model spec) to ``agent.program_info`` and save it.

    ``path`` defaults to ``data/compiled/<name>.json``. ``profile`` is a ``FailureProfile`` or its
    dict; ``model`` is the model spec the program was tuned for. Returns the path written.
    """
    if not isinstance(agent, FamaAgent):
        raise ConfigError(f"Only a FamaAgent can be saved as a program, not {type(agent).__name__}.")
    if path is None:
        if not name:
            raise ConfigError("Give a path or a name for the compiled program.")
        path = default_program_path(name)
    path = Path(path)
    if path.suffix != ".json":
        raise ConfigError(f"A compiled program is a .json file, not {path.name}.")
    info = dict(agent.program_info)
    info.update(metadata or {})
    if profile is not None:
        info["profile"] = profile.model_dump(mode="json") if hasattr(profile, "model_dump") else dict(profile)
    if model is not None:
        info["model"] = model
    info.setdefault("fama_dspy_version", __version__)
    info.setdefault("prompt_layout", current_prompt_layout())
    info["saved_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    _check_json(info)
    agent.program_info = info
    path.parent.mkdir(parents=True, exist_ok=True)
    agent.save(str(path))
    return path


def _check_json(info: dict[str, Any]) -> None:
    try:
        json.dumps(info)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"Program metadata must be JSON-serialisable: {exc}") from None


def read_program_file(path: Path | str) -> dict[str, Any]:
    """The saved state of a program file, checked for the pieces ``load_program`` needs."""
    path = Path(path)
    if path.suffix != ".json":
        raise ConfigError(f"{path} is not a .json program file; compiled programs are JSON (never pickles).")
    try:
        state = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"No compiled program at {path}.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"Compiled program {path} is not readable JSON: {exc}") from None
    if not isinstance(state, dict) or not isinstance(state.get("fama"), dict):
        raise ConfigError(
            f"{path} holds no FamaAgent settings (no 'fama' block); was it saved by a FamaAgent?"
        )
    program = state.get("fama_program")
    version = program.get("schema_version") if isinstance(program, dict) else None
    if version != PROGRAM_SCHEMA_VERSION:
        raise ConfigError(
            f"Compiled program {path} has schema_version {version!r}; this fama-dspy reads {PROGRAM_SCHEMA_VERSION}. "
            "Compile it again."
        )
    return state


def load_program(path: Path | str, **overrides: Any) -> FamaAgent:
    """Rebuild a saved agent from its file alone. ``overrides`` go to ``FamaAgent`` (e.g. ``adapter``,
    ``max_workers``); they may not change the base mode or the active specialists."""
    state = read_program_file(path)
    settings = dict(state["fama"])
    for key in ("base", "specialists"):
        if key in overrides and overrides[key] != settings.get(key):
            raise ConfigError(
                f"{key} is part of the compiled program ({settings.get(key)!r}); it cannot be overridden."
            )
    try:
        agent = FamaAgent(**{**settings, **overrides})
    except TypeError as exc:
        raise ConfigError(
            f"Compiled program {path} has settings this fama-dspy does not know: {exc}"
        ) from None
    expected = {name for name, _ in agent.named_parameters()}
    stored = {k for k in state if k not in NON_PREDICTOR_KEYS}
    if expected != stored:
        missing, extra = sorted(expected - stored), sorted(stored - expected)
        raise ConfigError(
            f"Compiled program {path} does not match its own configuration: "
            f"missing predictors {missing or 'none'}, unexpected {extra or 'none'}."
        )
    # load_state re-applies the saved settings: merge the overrides in so they win.
    merged = {**settings, **{k: v for k, v in overrides.items() if k in _SETTING_OVERRIDES}}
    agent.load_state({**state, "fama": merged}, allow_unsafe_lm_state=False)
    compiled_layout = (state.get("fama_program") or {}).get("prompt_layout", LEGACY_PROMPT_LAYOUT)
    if compiled_layout != current_prompt_layout():
        # Demos and instructions were chosen on prompts laid out the other way: say so, once per load.
        logger.warning(
            "%s was compiled with the %s prompt layout and runs with %s; --prompt-layout %s reproduces "
            "the prompts it was compiled on",
            path,
            compiled_layout,
            current_prompt_layout(),
            compiled_layout,
        )
    return agent


def program_digest(agent: dspy.Module) -> str:
    """A short hash of the agent's prompts and settings: names result sets that belong to one program."""
    state = agent.dump_state(json_mode=True)
    state.pop("metadata", None)
    if isinstance(state.get("fama_program"), dict):
        state["fama_program"] = {"schema_version": state["fama_program"].get("schema_version")}
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()[:12]


def instructions(agent: dspy.Module) -> dict[str, str]:
    """Predictor name -> its instructions."""
    return {name: p.signature.instructions for name, p in agent.named_predictors()}


def copy_predictor_state(source: dspy.Module, target: dspy.Module) -> list[str]:
    """Give ``target``'s predictors the instructions and demos of ``source``'s predictors of the same
    name (e.g. tuned prompts into an agent with another active set); returns the names copied."""
    sources = dict(source.named_predictors())
    copied = []
    for name, predictor in target.named_predictors():
        if name in sources:
            predictor.load_state(sources[name].dump_state(json_mode=True))
            copied.append(name)
    return copied
