"""The specialist pool: one line per specialist, and every lookup the other layers need, derived.

A specialist declares its own facts as class attributes (``specialists.base.Specialist``); this
module only lists the classes. Their order is the order in which sections are injected and the
pool's fixed order elsewhere (the last tie-break of the selection). Adding a specialist is its own
file plus one line in ``POOL``. A tunable setting reaches its specialist through the ``FamaAgent``
keyword of the same name, so a new one also needs that keyword (a test checks they agree).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Sequence
from typing import get_args

from fama_dspy.errors import ConfigError
from fama_dspy.signatures.judges import ErrorCategory
from fama_dspy.specialists.base import Specialist
from fama_dspy.specialists.constraints import DomainConstraintExtractor
from fama_dspy.specialists.memory import RequestMemory
from fama_dspy.specialists.planner import Planner
from fama_dspy.specialists.tool_output import ToolOutputReformatter
from fama_dspy.specialists.tool_suggester import ToolSuggester
from fama_dspy.specialists.tunable import Tunable
from fama_dspy.specialists.verifier import ActionVerifier

POOL: tuple[type[Specialist], ...] = (
    DomainConstraintExtractor,
    ToolSuggester,
    ToolOutputReformatter,
    Planner,
    ActionVerifier,
    RequestMemory,
)


class Registry:
    """An ordered, checked pool of specialist classes and the lookups derived from their declarations."""

    def __init__(
        self, classes: Sequence[type[Specialist]], categories: Sequence[str] = get_args(ErrorCategory)
    ):
        self.specialists: dict[str, type[Specialist]] = {}
        self.categories = tuple(categories)
        names: set[str] = set()
        for cls in classes:
            _check(cls, self.categories)
            if cls.code in self.specialists:
                raise ValueError(f"Specialist code {cls.code!r} is registered twice.")
            for t in cls.tunables:
                # One name per setting across the pool: it is a FamaAgent keyword and an Optuna parameter.
                if t.name in names:
                    raise ValueError(
                        f"Tunable {t.name!r} of {cls.__name__} is declared by another specialist."
                    )
                names.add(t.name)
            self.specialists[cls.code] = cls
        checkers = [c for c, cls in self.specialists.items() if cls.checks_action]
        if len(checkers) > 1:
            # FamaAgent revises once on one checker's verdict; a second one would need a rule for two.
            raise ValueError(f"At most one specialist may check actions, not {', '.join(checkers)}.")

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self.specialists)

    @property
    def llm_free(self) -> frozenset[str]:
        """Specialists without an LM call: they cost (almost) nothing at decision time."""
        return frozenset(c for c, cls in self.specialists.items() if not cls.calls_lm)

    @property
    def error_links(self) -> dict[str, list[str]]:
        """Category -> the specialists that mitigate it, in pool order (the prior of docs/design.md §3)."""
        links = {c: [s for s, cls in self.specialists.items() if c in cls.mitigates] for c in self.categories}
        return {c: codes for c, codes in links.items() if codes}

    @property
    def tunables(self) -> dict[str, tuple[Tunable, ...]]:
        """Code -> its tunable settings (codes without any are left out)."""
        return {c: cls.tunables for c, cls in self.specialists.items() if cls.tunables}

    def tunable(self, name: str) -> Tunable:
        """The tunable setting called ``name``, whichever specialist declares it."""
        for cls in self.specialists.values():
            for t in cls.tunables:
                if t.name == name:
                    return t
        raise ConfigError(f"No specialist has a tunable setting {name!r}.")

    @property
    def gateable(self) -> tuple[str, ...]:
        return tuple(c for c, cls in self.specialists.items() if cls.gateable)

    @property
    def tuned_gates(self) -> tuple[str, ...]:
        """The gateable specialists whose gate activation tuning searches."""
        return tuple(c for c, cls in self.specialists.items() if cls.gateable and cls.tune_gate)

    def normalize(self, codes: Iterable[str] | str) -> tuple[str, ...]:
        """Registry codes in registry order, from any iterable of codes in any case (or one comma-separated string)."""
        if isinstance(codes, str):
            codes = [c for c in codes.split(",") if c.strip()]
        wanted = {str(c).strip().lower() for c in codes}
        unknown = sorted(wanted - self.specialists.keys())
        if unknown:
            raise ConfigError(
                f"Unknown specialist code(s) {', '.join(unknown)}; valid codes: {', '.join(self.specialists)}."
            )
        return tuple(c for c in self.specialists if c in wanted)


def _check(cls: type[Specialist], categories: tuple[str, ...]) -> None:
    """A declaration the rest of the code can rely on, checked once at import."""
    if not (isinstance(cls, type) and issubclass(cls, Specialist)):
        raise TypeError(f"{cls!r} is not a Specialist class.")
    name = cls.__name__
    if not cls.code or cls.code != cls.code.strip().lower() or not cls.code.isidentifier():
        raise ValueError(
            f"{name}: code {cls.code!r} must be a lower-case identifier (FamaAgent's attribute)."
        )
    if not cls.title:
        raise ValueError(f"{name}: no title.")
    if cls.checks_action and cls.gateable:
        raise ValueError(f"{name}: checks the action after the decision, so a per-turn gate cannot apply.")
    unknown = sorted(set(cls.mitigates) - set(categories))
    if unknown:
        raise ValueError(f"{name}: mitigates unknown error categories {', '.join(unknown)}.")
    params = inspect.signature(cls.__init__).parameters
    if cls.calls_lm and "adapter" not in params:
        raise ValueError(f"{name}: calls an LM, so its constructor takes the specialists' adapter.")
    for t in cls.tunables:
        if t.arg is None:
            continue
        if t.arg not in params:
            raise ValueError(f"{name}: tunable {t.name} sets {t.arg!r}, which the constructor does not take.")
        # The registry's default is what an agent built without the setting gets: it must be the constructor's.
        if params[t.arg].default != t.default:
            raise ValueError(
                f"{name}: tunable {t.name} defaults to {t.default!r} but {t.arg}= defaults to {params[t.arg].default!r}."
            )


REGISTRY = Registry(POOL)

#: Code -> class; its order is the order in which sections are injected.
SPECIALISTS: dict[str, type[Specialist]] = REGISTRY.specialists
SPECIALIST_CODES: tuple[str, ...] = REGISTRY.codes
LLM_FREE_SPECIALISTS: frozenset[str] = REGISTRY.llm_free
ERROR_TO_SPECIALISTS: dict[str, list[str]] = REGISTRY.error_links
TUNABLES: dict[str, tuple[Tunable, ...]] = REGISTRY.tunables
normalize_codes = REGISTRY.normalize
