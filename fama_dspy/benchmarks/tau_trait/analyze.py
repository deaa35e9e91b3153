"""FAMA Stage 1 on a finished τ-trait run: judge every failed episode, learn from re-runs, build the profile.

The same steps as τ²'s analysis (``benchmarks/tau2/analyze.py``), on τ-trait's records:
1. the LLM-free evidence of every failed episode (``evidence.py``) goes to the
   ``FailureAnalyzer`` with the domain's policy; each diagnosis is appended to
   ``<run>/diagnoses.jsonl`` as it is made, and a rerun skips episodes the same judge model
   already diagnosed;
2. optionally, the learning step: failed episodes are re-run with one candidate specialist each
   (``credit.candidate_reruns``), at most ``rerun_budget``, with the run's user, seed and step
   limit, into ``<run>/reruns/``; a fix counts when the re-run succeeds. Refused when the run holds
   tasks of the ``test`` split (``official-test`` and ``base`` overlap it);
3. the ``FailureProfile`` from both, provenance recorded.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import dspy
from rich.console import Console

from fama_dspy.analysis.credit import fix_evidence_from_reruns
from fama_dspy.analysis.diagnosis import FailureDiagnosis
from fama_dspy.analysis.judges import FailureAnalyzer
from fama_dspy.analysis.profile import FailureProfile
from fama_dspy.analysis.profile_builder import build_profile
from fama_dspy.analysis.runs import (
    DIAGNOSIS_ROW_KEYS,
    RERUNS_DIR,
    base_of_config,
    diagnose_failed_records,
    diagnosis_key,
    load_diagnosis_rows,
    plan_reruns,
    run_planned_reruns,
    select_run,
)
from fama_dspy.benchmarks.tau_trait.data import load_domain
from fama_dspy.benchmarks.tau_trait.evidence import evidence_from_record, failed_records
from fama_dspy.benchmarks.tau_trait.tasks import task_splits
from fama_dspy.errors import ConfigError
from fama_dspy.results.records import episode_key


def _diagnose(
    records: list[dict[str, Any]],
    run_dir: Path,
    analyzer: FailureAnalyzer,
    judge_model: str,
    concurrency: int,
    progress: bool,
    console: Console,
) -> None:
    """Diagnose the records ``judge_model`` has not diagnosed yet (the neutral loop, τ-trait's evidence)."""
    policies: dict[str, str] = {}  # loading a domain reads its data: once per domain, not per record

    def policy_of(record: dict[str, Any]) -> str:
        if record["domain"] not in policies:
            policies[record["domain"]] = load_domain(record["domain"]).policy
        return policies[record["domain"]]

    diagnose_failed_records(
        records,
        run_dir,
        analyzer,
        judge_model,
        evidence_of=evidence_from_record,
        policy_of=policy_of,
        concurrency=concurrency,
        row_keys=(*DIAGNOSIS_ROW_KEYS, "benchmark"),
        progress=progress,
        console=console,
    )


def _rerun(
    plan: list[dict[str, Any]],
    failed: dict[tuple[str, int], dict[str, Any]],
    run_dir: Path,
    agent_lm: dspy.LM,
    base: str,
    concurrency: int,
    user_lm: dspy.LM | None,
    progress: bool,
    console: Console,
) -> list[dict[str, Any]]:
    """Run the planned re-runs; each row gains ``fixed`` and ``error`` (errored re-runs carry no credit)."""
    from fama_dspy.benchmarks.tau_trait.runner import run_episodes
    from fama_dspy.configs import build_agent

    def run_group(
        code: str, trial: int, original: dict[str, Any], task_ids: list[str]
    ) -> list[dict[str, Any]]:
        user = original.get("user")
        if user == "fama" and user_lm is None:
            raise ConfigError("The run used the fama user simulator: re-runs need its model (user_lm).")
        with dspy.context(lm=agent_lm):
            return run_episodes(
                lambda: build_agent("fama", base=base, specialists=[code]),
                config_name=f"rerun[{base}+{code}]#{trial}",
                domain=original["domain"],
                split=original.get("split"),
                task_ids=task_ids,
                seeds=[original.get("seed")],
                max_steps=original.get("max_steps") or 30,
                concurrency=concurrency,
                user=user or "scripted",
                user_lm=user_lm,
                out=run_dir / RERUNS_DIR,
                progress=progress,
                console=console,
            )

    return run_planned_reruns(plan, failed, run_group, concurrency=concurrency)


def analyze_run(
    run_dir: Path | str,
    lm: dspy.LM,
    judge_model_name: str,
    *,
    model: str,
    config: str | None = None,
    agent_lm: dspy.LM | None = None,
    rerun_budget: int = 0,
    base: str | None = None,
    coverage_threshold: float = 0.8,
    budget: int = 2,
    prior_weight: float = 2.0,
    concurrency: int = 2,
    user_lm: dspy.LM | None = None,
    rerun_seed: int = 0,
    analyzer: FailureAnalyzer | None = None,
    progress: bool = False,
    console: Console | None = None,
    **unused: Any,
) -> tuple[list[FailureDiagnosis], FailureProfile]:
    """Diagnoses of the run's failed episodes (in record order) and the profile built from them.

    Same settings as τ²'s ``analyze_run``; ``unused`` takes the τ²-only ones (``user_llm``, …),
    which a τ-trait run never needs.
    """
    if rerun_budget < 0:
        raise ConfigError(f"rerun_budget must be >= 0, got {rerun_budget}.")
    run_dir = Path(run_dir)
    console = console or Console(stderr=True)
    records, config, domain = select_run(run_dir, config)
    selection = failed_records(records)
    analyzer = analyzer or FailureAnalyzer(judge_model=judge_model_name)
    with dspy.context(lm=lm):
        _diagnose(selection.failed, run_dir, analyzer, judge_model_name, concurrency, progress, console)

    rows = {diagnosis_key(r): r for r in load_diagnosis_rows(run_dir, judge_model_name)}
    diagnoses = [rows[(*episode_key(r), judge_model_name)]["diagnosis"] for r in selection.failed]
    notes = [str((records[0].get("reward_details") or {}).get("note") or "")] if records else []
    notes = [n for n in notes if n]
    if selection.errors:
        kinds = Counter(str(r.get("error", "")).split(":", 1)[0] for r in selection.errors)
        notes.append(
            f"{len(selection.errors)} episode(s) ended in a harness error and were not analysed "
            f"({', '.join(f'{k} ×{n}' for k, n in kinds.items())})."
        )

    fix_evidence = None
    if rerun_budget > 0:
        held_out = set(task_splits(domain)["test"])
        if any(str(r.get("task_id")) in held_out for r in records):
            raise ConfigError(
                "The learning step re-runs tasks to tune the profile: use a train-split run, "
                "never one holding test tasks (test, official-test or base)."
            )
        if agent_lm is None:
            raise ConfigError("The learning step needs the agent's model (agent_lm) to re-run episodes.")
        plan = plan_reruns(diagnoses, rerun_budget, rerun_seed)
        if plan:
            failed = {(str(r["task_id"]), int(r.get("trial", 0))): r for r in selection.failed}
            results = _rerun(
                plan,
                failed,
                run_dir,
                agent_lm,
                base or base_of_config(config),
                concurrency,
                user_lm or agent_lm,
                progress,
                console,
            )
            credited = [r for r in results if r["error"] is None]
            fix_evidence = fix_evidence_from_reruns(credited)
            notes.append(
                f"Learning step: {len(results)} re-run(s) within a budget of {rerun_budget}, "
                f"{sum(r['fixed'] for r in credited)} fixed the failure."
            )
            if len(credited) < len(results):
                notes.append(
                    f"{len(results) - len(credited)} re-run(s) ended in a harness error and give no credit."
                )
        else:
            notes.append("Learning step: no agent-caused failure with a primary error to re-run.")

    trials = Counter(str(r["task_id"]) for r in records)
    split_counts = Counter(str(r.get("split") or "") for r in records)
    profile = build_profile(
        diagnoses,
        fix_evidence,
        model=model,
        domain=domain,
        split=split_counts.most_common(1)[0][0] or "train",
        trials=max(trials.values()),
        task_ids=list(dict.fromkeys(str(r["task_id"]) for r in records)),
        judge_model=judge_model_name,
        coverage_threshold=coverage_threshold,
        budget=budget,
        prior_weight=prior_weight,
        notes=notes,
    )
    return diagnoses, profile
