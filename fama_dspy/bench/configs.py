"""The ``--configs`` mini-language of the bench: one string → typed agent configurations.

``--configs`` mini-language (comma-separated; specialist codes joined by ``+``)::

    react | fc | tau2-llm-agent | gold      gold: the benchmark's gold replay (episodes only)
    irma | irma:fc                          IRMA-style on ReAct (default) or FC
    fama:dce+mem | fama:fc:dce+mem          FAMA with an explicit subset, on ReAct or FC
    fama-profile:PATH | fama-profile:fc:PATH   FAMA with a failure profile's recommended subset
    fama-compiled:PATH | compiled:PATH      a compiled program, FAMA or a plain base (its agent and
                                            base mode are read from the file)

Any item may end in ``@SETTINGS``: a decoding mode and/or an id policy joined by ``/``
(``react@json``, ``fama:dce+mem@free/ids-free``, ``react@ids-free``); without it the item uses
``--decoding`` / ``--id-policy``. The setting is part of the configuration's name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from fama_dspy.bench.agents import PLAIN_AGENTS, AgentSpec
from fama_dspy.errors import ConfigError

MODES = ("decisions", "solo", "interactive")
BASES = ("react", "fc")


@dataclass(frozen=True)
class ConfigSpec:
    """One item of ``--configs``."""

    spec: str
    agent: str
    base: str | None = None
    specialists: str | None = None
    profile: str | None = None
    program: str | None = None
    decoding: str | None = None
    id_policy: str | None = None

    def agent_spec(self, decoding: str | None = None, id_policy: str | None = None) -> AgentSpec:
        """The agent configuration; ``decoding``/``id_policy`` apply where the item has no ``@SETTINGS``."""
        return AgentSpec(
            agent=self.agent,
            base=self.base,
            specialists=self.specialists,
            profile=self.profile,
            program=self.program,
            decoding=self.decoding or decoding,
            id_policy=self.id_policy or id_policy,
        )


def _split_settings(spec: str) -> tuple[str, str | None, str | None]:
    """``react@json/ids-free`` → ("react", "json", "free")."""
    head, sep, tail = spec.rpartition("@")
    if not sep:
        return spec, None, None
    from fama_dspy.decoding import DECODING_MODES, ID_POLICIES

    decoding = id_policy = None
    for part in filter(None, (p.strip() for p in tail.split("/"))):
        if part in DECODING_MODES and decoding is None:
            decoding = part
        elif part.startswith("ids-") and part[4:] in ID_POLICIES and id_policy is None:
            id_policy = part[4:]
        else:
            raise ConfigError(
                f"config {spec!r}: unknown setting {part!r} after '@'; use one of {', '.join(DECODING_MODES)} "
                f"and/or ids-{'|ids-'.join(ID_POLICIES)}, joined by '/'"
            )
    return head, decoding, id_policy


def _split_base(rest: str) -> tuple[str | None, str]:
    """``fc:dce+mem`` → ("fc", "dce+mem"); ``dce+mem`` → (None, "dce+mem")."""
    head, sep, tail = rest.partition(":")
    if sep and head in BASES:
        return head, tail
    return None, rest


def parse_config_spec(text: str) -> ConfigSpec:
    import dataclasses

    full = text.strip()
    spec, decoding, id_policy = _split_settings(full)
    parsed = _parse_config_body(spec)
    return dataclasses.replace(parsed, spec=full, decoding=decoding, id_policy=id_policy)


def _parse_config_body(spec: str) -> ConfigSpec:
    kind, sep, rest = spec.partition(":")
    if kind in PLAIN_AGENTS:
        if sep:
            raise ConfigError(f"config {spec!r}: {kind} takes no options")
        return ConfigSpec(spec=spec, agent=kind)
    if kind == "irma":
        if sep and rest not in BASES:
            raise ConfigError(f"config {spec!r}: IRMA's only option is its base, one of {', '.join(BASES)}")
        return ConfigSpec(spec=spec, agent="irma", base=rest or None)
    if kind == "fama":
        base, subset = _split_base(rest)
        if not subset:
            raise ConfigError(
                f"config {spec!r}: give FAMA's specialists, e.g. fama:dce+mem or fama:fc:dce+mem"
            )
        return ConfigSpec(spec=spec, agent="fama", base=base, specialists=subset.replace("+", ","))
    if kind == "fama-profile":
        base, path = _split_base(rest)
        if not path:
            raise ConfigError(
                f"config {spec!r}: give the failure profile, e.g. fama-profile:data/profile.json"
            )
        return ConfigSpec(spec=spec, agent="fama", base=base, profile=path)
    if kind in ("fama-compiled", "compiled"):
        if not rest:
            raise ConfigError(f"config {spec!r}: give the compiled program, e.g. {kind}:data/compiled/x.json")
        return ConfigSpec(spec=spec, agent="fama-compiled", program=rest)
    raise ConfigError(
        f"unknown config {spec!r}; use react, fc, gold, tau2-llm-agent, irma[:fc], fama[:fc]:CODES, "
        "fama-profile[:fc]:PATH or [fama-]compiled:PATH"
    )


def parse_configs(text: str) -> list[ConfigSpec]:
    specs = [parse_config_spec(item) for item in text.split(",") if item.strip()]
    if not specs:
        raise ConfigError("--configs is empty")
    return specs


def parse_modes(text: str) -> tuple[str, ...]:
    wanted = {m.strip() for m in text.split(",") if m.strip()}
    unknown = sorted(wanted - set(MODES))
    if unknown or not wanted:
        raise ConfigError(f"unknown mode(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(MODES)}")
    return tuple(m for m in MODES if m in wanted)  # cheap decision-level results come first


def program_base(path: str | Path) -> str | None:
    """The base mode a compiled program wraps, from its saved ``fama`` settings block."""
    settings = json.loads(Path(path).read_text(encoding="utf-8")).get("fama") or {}
    base = settings.get("base")
    return base if base in BASES else None


def config_base(spec: ConfigSpec) -> str | None:
    """The base configuration a bench configuration is compared with (None: it is one, or has none)."""
    if spec.agent in PLAIN_AGENTS:
        return None
    if spec.agent == "fama-compiled":
        return program_base(spec.program)
    return spec.base or "react"
