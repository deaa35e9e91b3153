"""Named agent configurations: the baselines and FAMA, all built as a ``FamaAgent``.

- ``react`` / ``fc``: the bare tool-use agent (ReAct-style structured decision / native function calling);
- ``irma``: memory + constraints + tool suggestions always on, with follow-up prompting (the
  "all helpers" configuration);
- ``fama``: the specialist subset chosen from the failure profile.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from fama_dspy.errors import ConfigError
from fama_dspy.fama_agent import FamaAgent
from fama_dspy.specialists import normalize_codes

CONFIG_NAMES = ("react", "fc", "irma", "fama")
IRMA_SPECIALISTS = ("mem", "dce", "tsa")


def build_agent(name: str, base: str | None = None, specialists=None, **kw) -> FamaAgent:
    """Build a named configuration. ``base`` defaults to the name for ``react``/``fc`` and to "react"
    otherwise; ``kw`` goes to ``FamaAgent`` (``memory_k``, ``adapter``, ``max_workers``, ...)."""
    key = name.strip().lower()
    if key not in CONFIG_NAMES:
        raise ConfigError(f"Unknown agent configuration {name!r}; valid names: {', '.join(CONFIG_NAMES)}.")
    if key in ("react", "fc"):
        if base not in (None, key):
            raise ConfigError(f"Configuration {key!r} fixes base={key!r}; got base={base!r}.")
        if specialists:
            raise ConfigError(
                f"Configuration {key!r} has no specialists; use 'fama' to add {list(specialists)}."
            )
        return FamaAgent(base=key, specialists=(), **kw)
    if key == "irma":
        if specialists is not None and set(normalize_codes(specialists)) != set(IRMA_SPECIALISTS):
            raise ConfigError(
                f"Configuration 'irma' always uses {', '.join(IRMA_SPECIALISTS)}; use 'fama' for others."
            )
        kw.setdefault("follow_up_prompting", True)
        return FamaAgent(base=base or "react", specialists=IRMA_SPECIALISTS, **kw)
    if specialists is None:
        raise ConfigError(
            "Configuration 'fama' needs its specialist subset, e.g. specialists=['dce', 'mem']."
        )
    codes = normalize_codes(specialists)
    if not codes:
        warnings.warn("FAMA with no specialists is the bare tool-use agent.", stacklevel=2)
    return FamaAgent(base=base or "react", specialists=codes, **kw)


def load_agent(path: str | Path, **kw) -> FamaAgent:
    """Rebuild a saved ``FamaAgent`` from its JSON state (settings and prompts). ``kw``: e.g. ``adapter``."""
    state = json.loads(Path(path).read_text())
    settings = state.get("fama")
    if settings is None:
        raise ConfigError(f"{path} holds no FamaAgent settings (no 'fama' key); was it saved by a FamaAgent?")
    agent = FamaAgent(**{**settings, **kw})
    agent.load(path)
    return agent
