"""``TauTraitBenchmark``: the ``Benchmark`` protocol over τ-trait (tasks, decision points, episodes, analysis).

Read from the user's checkout (``CHECKOUT``); nothing is imported from it until a domain is used.
Episode settings of its own, in ``EpisodeRequest.extra``:
- ``agent="gold"``: the gold replay instead of a fama-dspy agent (pass no agent factory; the
  config name defaults to ``gold``; use ``user="scripted"`` for a deterministic run);
- ``agent_builder``: ``task -> agent``, any callable following the agent contract;
- ``max_reasks``: re-asks after an invalid action before the fallback (default 2).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fama_dspy.benchmarks.tau_trait.data import CHECKOUT, DOMAINS, check_domain
from fama_dspy.errors import ConfigError
from fama_dspy.results.decisions import DecisionPoint

#: ``EpisodeRequest.extra`` keys this benchmark understands.
EXTRA_KEYS = ("agent", "agent_builder", "max_reasks")


class TauTraitBenchmark:
    """τ-trait (telehealth, telecom; also τ-bench v1's airline and retail), all interactive."""

    name = "tau-trait"
    domains = DOMAINS
    solo_domains: tuple[str, ...] = ()
    interactive_domains = DOMAINS
    checkout = CHECKOUT
    #: τ-trait's own agents stop after 30 actions, each answered by the customer: 60 of our steps.
    default_max_steps = 60

    def check_domain(self, domain: str) -> str:
        return check_domain(domain)

    def splits(self, domain: str) -> dict[str, list[str]]:
        from fama_dspy.benchmarks.tau_trait.tasks import task_splits

        return task_splits(domain)

    def normalize_split(self, domain: str, split: str | None) -> str:
        from fama_dspy.benchmarks.tau_trait.tasks import normalize_split

        return normalize_split(domain, split)

    def task_ids(
        self,
        domain: str,
        split: str | None = None,
        *,
        task_ids: Sequence[str] | None = None,
        num_tasks: int | None = None,
        solo: bool = False,
    ) -> list[str]:
        from fama_dspy.benchmarks.tau_trait.tasks import load_tasks

        _refuse_solo(solo)
        return [t.id for t in load_tasks(domain, split, task_ids=task_ids, num_tasks=num_tasks)]

    def decision_points(
        self,
        domain: str,
        split: str | None = None,
        *,
        task_ids: Sequence[str] | None = None,
        num_tasks: int | None = None,
        solo: bool = False,
        confirm_writes: bool = True,
    ) -> list[DecisionPoint]:
        from fama_dspy.benchmarks.tau_trait.decision_points import iter_decision_points

        _refuse_solo(solo)
        return iter_decision_points(
            domain, split, task_ids=task_ids, num_tasks=num_tasks, confirm_writes=confirm_writes
        )

    def default_seeds(self, trials: int) -> list[int]:
        from fama_dspy.benchmarks.tau_trait.runner import default_seeds

        return default_seeds(trials)

    def run_episodes(
        self, request: Any, agent_factory: Callable[[], Any] | None = None
    ) -> list[dict[str, Any]]:
        from fama_dspy.benchmarks.tau_trait.runner import run_episodes

        unknown = sorted(set(request.extra) - set(EXTRA_KEYS))
        if unknown:
            raise ConfigError(
                f"τ-trait does not know the episode setting(s) {', '.join(unknown)}; "
                f"it takes: {', '.join(EXTRA_KEYS)}"
            )
        fields = request.model_dump(exclude={"extra", "out"})
        fields["max_steps"] = fields["max_steps"] or self.default_max_steps
        return run_episodes(agent_factory, out=request.out, **fields, **request.extra)

    def analyze_run(
        self,
        run_dir: Path | str,
        lm: Any,
        judge_model_name: str,
        *,
        model: str,
        console: Any = None,
        **settings: Any,
    ) -> tuple[list[Any], Any]:
        from fama_dspy.benchmarks.tau_trait.analyze import analyze_run

        return analyze_run(run_dir, lm, judge_model_name, model=model, console=console, **settings)


def _refuse_solo(solo: bool) -> None:
    if solo:
        raise ConfigError("τ-trait has no solo mode: every task is a conversation with a customer")
