"""FAMA Stage 1 on a finished ACEBench run: judge every failed episode, learn from re-runs, build the profile.

The steps of τ²'s ``analyze_run`` (``fama_dspy.benchmarks.tau2.analyze``), on ACEBench records:
1. the LLM-free evidence of each failed episode (``evidence.py``) goes to the ``FailureAnalyzer``
   with the policy that episode's agent had; each diagnosis is appended to
   ``<run>/diagnoses.jsonl`` as it is made, and a rerun skips episodes already diagnosed by the
   same judge model (``analysis.runs``);
2. optionally, the learning step: at most ``rerun_budget`` failed episodes are re-run with one
   candidate specialist each (``analysis.runs.plan_reruns``), in the run's own mode, into
   ``<run>/reruns/``; a fix counts when the re-run succeeds (train split only);
3. the ``FailureProfile`` from the diagnoses and the re-run evidence.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from fama_dspy.analysis.runs import (
    RERUNS_DIR,
    base_of_config,
    diagnose_failed_records,
    diagnosis_key,
    load_diagnosis_rows,
    plan_reruns,
    run_planned_reruns,
    select_run,
)
from fama_dspy.benchmarks.acebench.data import CHECKOUT, find_task
from fama_dspy.benchmarks.acebench.evidence import evidence_from_record, failed_records
from fama_dspy.benchmarks.acebench.prompts import agent_policy
from fama_dspy.errors import ConfigError
from fama_dspy.results.records import episode_key


def _policy(record: dict[str, Any]) -> str:
    task = find_task(record["domain"], str(record["task_id"]))
    classes = task.involved_classes if task is not None else []
    return agent_policy(CHECKOUT.path(), record["domain"], classes)


def _diagnose(records, run_dir: Path, analyzer, judge_model: str, concurrency: int) -> None:
    """Diagnose the records not yet diagnosed by ``judge_model`` (the neutral loop, ACEBench's evidence)."""
    diagnose_failed_records(
        records,
        run_dir,
        analyzer,
        judge_model,
        evidence_of=evidence_from_record,
        policy_of=_policy,
        concurrency=concurrency,
    )


def _rerun(
    plan, failed, run_dir: Path, agent_lm, base: str, concurrency: int, user_lm
) -> list[dict[str, Any]]:
    """Run the planned re-runs; each row gains ``fixed`` and ``error``."""
    import dspy

    from fama_dspy.benchmarks.acebench.episodes import run_episodes
    from fama_dspy.configs import build_agent

    def run_group(
        code: str, trial: int, original: dict[str, Any], task_ids: list[str]
    ) -> list[dict[str, Any]]:
        solo = bool(original.get("solo"))
        user = original.get("user")
        if not solo and user in ("fama", "acebench") and user_lm is None:
            raise ConfigError(f"The run used the {user} user simulator: re-runs need its model (user_lm).")
        with dspy.context(lm=agent_lm):
            return run_episodes(
                lambda: build_agent("fama", base=base, specialists=[code]),
                config_name=f"rerun[{base}+{code}]#{trial}",
                domain=original["domain"],
                split=original.get("split"),
                task_ids=task_ids,
                seeds=[original.get("seed") or 0],
                max_steps=original.get("max_steps") or 30,
                concurrency=concurrency,
                user="scripted" if solo else (user or "fama"),
                user_lm=user_lm,
                out=run_dir / RERUNS_DIR,
                progress=False,
            )

    return run_planned_reruns(plan, failed, run_group, concurrency=concurrency)


def analyze_run(
    run_dir: Path | str,
    lm: Any,
    judge_model_name: str,
    *,
    model: str,
    config: str | None = None,
    agent_lm: Any = None,
    rerun_budget: int = 0,
    base: str | None = None,
    coverage_threshold: float = 0.8,
    budget: int = 2,
    prior_weight: float = 2.0,
    concurrency: int = 2,
    user_lm: Any = None,
    rerun_seed: int = 0,
    analyzer: Any = None,
    console: Any = None,
    **_: Any,
) -> tuple[list[Any], Any]:
    """Diagnoses of the run's failed episodes (in record order) and the profile built from them."""
    import dspy

    from fama_dspy.analysis.credit import fix_evidence_from_reruns
    from fama_dspy.analysis.judges import FailureAnalyzer
    from fama_dspy.analysis.profile_builder import build_profile

    if rerun_budget < 0:
        raise ConfigError(f"rerun_budget must be >= 0, got {rerun_budget}.")
    run_dir = Path(run_dir)
    records, config, domain = select_run(run_dir, config)
    selection = failed_records(records)
    analyzer = analyzer or FailureAnalyzer(judge_model=judge_model_name)
    with dspy.context(lm=lm):
        _diagnose(selection.failed, run_dir, analyzer, judge_model_name, concurrency)
    rows = {diagnosis_key(r): r for r in load_diagnosis_rows(run_dir, judge_model_name)}
    diagnoses = [rows[(*episode_key(r), judge_model_name)]["diagnosis"] for r in selection.failed]
    notes: list[str] = []
    if selection.errors:
        notes.append(f"{len(selection.errors)} episode(s) ended in a harness error and were not analysed.")

    fix_evidence = None
    if rerun_budget > 0:
        if "test" in {r.get("split") for r in records}:
            raise ConfigError(
                "The learning step re-runs tasks to tune the profile: use a train-split run, never the test split."
            )
        if agent_lm is None:
            raise ConfigError("The learning step needs the agent's model (agent_lm) to re-run episodes.")
        plan = plan_reruns(diagnoses, rerun_budget, rerun_seed)
        if plan:
            failed = {(str(r["task_id"]), int(r.get("trial", 0))): r for r in selection.failed}
            results = _rerun(
                plan, failed, run_dir, agent_lm, base or base_of_config(config), concurrency, user_lm
            )
            credited = [r for r in results if r["error"] is None]
            fix_evidence = fix_evidence_from_reruns(credited)
            notes.append(
                f"Learning step: {len(results)} re-run(s) within a budget of {rerun_budget}, "
                f"{sum(r['fixed'] for r in credited)} fixed the failure."
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
