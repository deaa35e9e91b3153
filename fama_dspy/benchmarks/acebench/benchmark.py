"""``AceBenchmark``: the ``Benchmark`` protocol over ACEBench's agent category (English).

Domains ``multi-step`` (solo: no user, the question is the ticket, the agent ends with ``done``)
and ``multi-turn`` (a simulated user); the mode follows the domain. Splits: ``train`` (even task
indices), ``test`` (odd), ``base`` (all, the default); see ``data.py``. Reward = ACEBench's
end-to-end accuracy, with its process accuracy beside it (``scoring.py``).

``EpisodeRequest.user`` (multi-turn): ``fama`` (our simulated customer), ``acebench`` (ACEBench's
own user prompt), both on ``user_lm`` (or ``user_llm``, or DSPy's LM), or ``scripted`` (no LLM).
``EpisodeRequest.extra`` may carry ``agent="gold"`` (the gold replay, no LLM; ``config_name``
defaults to ``"gold"``), ``agent_builder`` (``task -> agent``) instead of an agent factory, and
``max_reasks``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fama_dspy.benchmarks.acebench import data
from fama_dspy.benchmarks.base import EpisodeRequest
from fama_dspy.errors import ConfigError
from fama_dspy.results.decisions import DecisionPoint


class AceBenchmark:
    """ACEBench (agent category, English): multi-step (solo) and multi-turn (with a user)."""

    name = "acebench"
    domains = data.DOMAINS
    solo_domains = data.SOLO_DOMAINS
    interactive_domains = data.INTERACTIVE_DOMAINS
    checkout = data.CHECKOUT
    default_max_steps = 30

    def check_domain(self, domain: str) -> str:
        return data.check_domain(domain)

    def splits(self, domain: str) -> dict[str, list[str]]:
        return data.task_splits(domain)

    def normalize_split(self, domain: str, split: str | None) -> str:
        return data.normalize_split(domain, split)

    def task_ids(
        self,
        domain: str,
        split: str | None = None,
        *,
        task_ids: Sequence[str] | None = None,
        num_tasks: int | None = None,
        solo: bool = False,
    ) -> list[str]:
        self._check_mode(domain, solo)
        return [t.id for t in data.load_tasks(domain, split, task_ids=task_ids, num_tasks=num_tasks)]

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
        """The gold decision points; multi-step points are always solo (it has no user)."""
        from fama_dspy.benchmarks.acebench.decision_points import iter_decision_points

        self._check_mode(domain, solo)
        return iter_decision_points(
            domain, split, task_ids=task_ids, num_tasks=num_tasks, confirm_writes=confirm_writes
        )

    def default_seeds(self, trials: int) -> list[int]:
        from fama_dspy.benchmarks.acebench.episodes import default_seeds

        return default_seeds(trials)

    def run_episodes(
        self, request: EpisodeRequest, agent_factory: Callable[[], Any] | None = None
    ) -> list[dict[str, Any]]:
        from fama_dspy.benchmarks.acebench.episodes import run_episodes

        return run_episodes(
            agent_factory,
            domain=request.domain,
            out=request.out,
            config_name=request.config_name,
            split=request.split,
            task_ids=request.task_ids,
            num_tasks=request.num_tasks,
            trials=request.trials,
            seeds=request.seeds,
            max_steps=request.max_steps or self.default_max_steps,
            concurrency=request.concurrency,
            solo=request.solo,
            user=request.user,
            user_lm=request.user_lm,
            user_llm=request.user_llm,
            user_llm_args=request.user_llm_args,
            retry_errors=request.retry_errors,
            progress=request.progress,
            console=request.console,
            **request.extra,
        )

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
        from fama_dspy.benchmarks.acebench.analyze import analyze_run

        return analyze_run(run_dir, lm, judge_model_name, model=model, console=console, **settings)

    def _check_mode(self, domain: str, solo: bool) -> None:
        self.check_domain(domain)
        if solo and domain not in self.solo_domains:
            raise ConfigError(f"ACEBench {domain} has no solo mode: its tasks need a user")
