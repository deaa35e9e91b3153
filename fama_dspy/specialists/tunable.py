"""A setting of a specialist that tuning may change: its name, its range or choices and its default."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

KINDS = ("int", "float", "choice")


@dataclass(frozen=True)
class Tunable:
    """One tunable setting, declared by the specialist it belongs to.

    ``name`` is the setting's one public name: the ``FamaAgent`` keyword, the key in a saved program's
    settings and the Optuna parameter. Saved programs and studies refer to it, so it never changes.
    ``arg`` is the specialist's constructor argument (and attribute) it sets; ``None`` when the
    orchestrator applies the setting itself (VER's verify-and-revise acts after the decision).
    ``kind`` "int" / "float" take ``low``..``high`` (``log``: sampled on a log scale), "choice" takes
    ``choices``.
    """

    name: str
    kind: Literal["int", "float", "choice"]
    default: Any
    arg: str | None = None
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Tunable {self.name}: unknown kind {self.kind!r}; valid: {', '.join(KINDS)}.")
        if self.kind == "choice":
            if not self.choices or self.low is not None or self.high is not None:
                raise ValueError(f"Tunable {self.name}: a choice takes choices, not a range.")
            if self.default not in self.choices:
                raise ValueError(f"Tunable {self.name}: default {self.default!r} is not one of its choices.")
            return
        if self.low is None or self.high is None or self.choices or not self.low <= self.high:
            raise ValueError(f"Tunable {self.name}: a {self.kind} takes a range low <= high, not choices.")
        if not self.low <= self.default <= self.high:
            raise ValueError(f"Tunable {self.name}: default {self.default!r} is outside {self.bounds}.")

    @property
    def bounds(self) -> tuple:
        """``(low, high)`` of a range, or the choices."""
        return self.choices if self.kind == "choice" else (self.low, self.high)
