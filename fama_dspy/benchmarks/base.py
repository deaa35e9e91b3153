"""What a benchmark provides to the rest of fama-dspy, and nothing benchmark-specific.

A benchmark names its domains and splits, loads tasks, builds decision points (the
benchmark-neutral ``DecisionState`` before each gold agent action, with that action), runs
episodes for any agent into resumable records (reward and breakdown per episode), and analyses a
run's failed episodes (its LLM-free evidence, then the judges). Everything downstream (the bench,
the report, the optimizers' data) talks to this protocol, so adding a benchmark means one package
under ``fama_dspy/benchmarks/`` and one line in ``registry.py``.

Implementations import their benchmark's own package lazily or inside their own subpackage:
importing this module, the registry or any consumer of the protocol loads no benchmark.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    import dspy
    from rich.console import Console

    from fama_dspy.results.decisions import DecisionPoint


class EpisodeRequest(BaseModel):
    """One episode run: which tasks, how many trials, solo or with a user, where the records go.

    ``extra`` carries a benchmark's own settings (e.g. τ²'s reference agent), passed through
    untouched.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    domain: str
    out: Path
    config_name: str | None = None
    split: str | None = None
    task_ids: list[str] | None = None
    num_tasks: int | None = None
    trials: int = 1
    seeds: list[int] | None = None
    #: Agent decisions plus customer turns; None: the benchmark's ``default_max_steps``.
    max_steps: int | None = None
    concurrency: int = 1
    solo: bool = False
    user: str = "fama"
    user_lm: Any = None  # a dspy.LM for the benchmark-neutral user simulator
    user_llm: str | None = None
    user_llm_args: dict[str, Any] | None = None
    retry_errors: bool = False
    progress: bool = True
    console: Any = None
    extra: dict[str, Any] = Field(default_factory=dict)


@runtime_checkable
class Benchmark(Protocol):
    """The interface every benchmark implements (``fama_dspy.benchmarks.tau2.Tau2Benchmark`` is the model)."""

    name: str
    #: Every domain the benchmark can load.
    domains: tuple[str, ...]
    #: Domains whose tasks can run solo (a ticket, no user).
    solo_domains: tuple[str, ...]
    #: Domains that need a user simulator for episodes.
    interactive_domains: tuple[str, ...]
    #: Where a benchmark read from a user's checkout finds it (``checkout.Checkout``); None for packages.
    checkout: Any
    #: Episode step limit (agent decisions plus customer turns) when a request names none.
    default_max_steps: int

    def check_domain(self, domain: str) -> str:
        """``domain`` if the benchmark has it, else a ``ConfigError`` naming the choices."""
        ...

    def splits(self, domain: str) -> dict[str, list[str]]:
        """Split name → task ids."""
        ...

    def normalize_split(self, domain: str, split: str | None) -> str:
        """The split name recorded for a run (``None`` → the benchmark's default)."""
        ...

    def task_ids(
        self,
        domain: str,
        split: str | None = None,
        *,
        task_ids: Sequence[str] | None = None,
        num_tasks: int | None = None,
        solo: bool = False,
    ) -> list[str]:
        """The selected tasks' ids, in the benchmark's order (or the caller's, when ``task_ids`` is given)."""
        ...

    def decision_points(
        self,
        domain: str,
        split: str | None = None,
        *,
        task_ids: Sequence[str] | None = None,
        num_tasks: int | None = None,
        solo: bool = False,
        **view: Any,
    ) -> list[DecisionPoint]:
        """The gold decision points of the selected tasks, in task order then gold order (``view``: the
        benchmark's own view options)."""
        ...

    def default_seeds(self, trials: int) -> list[int]:
        """The per-trial seeds the benchmark's own runner uses."""
        ...

    def run_episodes(
        self, request: EpisodeRequest, agent_factory: Callable[[], Any] | None = None
    ) -> list[dict[str, Any]]:
        """Run (or resume) the request's episodes with a fresh agent per episode; return their records."""
        ...

    def analyze_run(
        self,
        run_dir: Path | str,
        lm: dspy.LM,
        judge_model_name: str,
        *,
        model: str,
        console: Console | None = None,
        **settings: Any,
    ) -> tuple[list[Any], Any]:
        """Diagnoses of a run's failed episodes and the failure profile built from them."""
        ...
