"""FAMA Stage 1 on a finished run: judge every failed episode, learn from re-runs, build the profile.

``analyze_run`` reads ``<run>/episodes.jsonl`` (one configuration, one domain), then:
1. extracts the benchmark's evidence of every failed episode (``evidence.py``; no LLM) and runs the
   ``FailureAnalyzer`` on it, a bounded number of episodes at a time. Each diagnosis is appended to
   ``<run>/diagnoses.jsonl`` with its evidence the moment it is made, and a rerun skips episodes
   already diagnosed by the same judge model. Plain JSONL rather than a ``datasets`` Dataset saved to
   disk: a Dataset is written whole, so it can neither be appended to per episode (crash-safe,
   resumable) nor share the runner's durable appender; ``datasets.load_dataset("json",
   data_files=...)`` still reads the file when a Dataset is wanted;
2. optionally, the learning step: failed episodes of the run are re-run with one candidate
   specialist each (``credit.candidate_reruns``: the specialists linked to their primary errors),
   at most ``rerun_budget`` episodes, in the run's own mode (solo or interactive, same user, seed,
   step limits), as ``build_agent("fama", base=..., specialists=[code])``. Re-runs go to
   ``<run>/reruns/`` (resumable by the runner) and a fix counts when the re-run succeeds;
3. builds the ``FailureProfile``: prior and re-run evidence blended, provenance recorded.
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
    RERUNS_DIR,
    base_of_config,
    diagnose_failed_records,
    diagnosis_key,
    load_diagnosis_rows,
    plan_reruns,
    run_planned_reruns,
    select_run,
)
from fama_dspy.benchmarks.tau2.builders import make_environment
from fama_dspy.benchmarks.tau2.evidence import evidence_from_record, failed_records
from fama_dspy.errors import ConfigError
from fama_dspy.results.records import (
    episode_key,
)


def _diagnose(
    records: list[dict[str, Any]],
    run_dir: Path,
    analyzer: FailureAnalyzer,
    judge_model: str,
    concurrency: int,
    progress: bool,
    console: Console,
) -> None:
    """Diagnose the records not yet diagnosed by ``judge_model`` (the neutral loop, τ²'s evidence and policy)."""
    policies: dict[tuple[str, bool], str] = {}

    def policy_of(record: dict[str, Any]) -> str:
        key = (record["domain"], bool(record.get("solo")))
        if key not in policies:
            policies[key] = make_environment(*key).get_policy()
        return policies[key]

    diagnose_failed_records(
        records,
        run_dir,
        analyzer,
        judge_model,
        evidence_of=evidence_from_record,
        policy_of=policy_of,
        concurrency=concurrency,
        progress=progress,
        console=console,
    )


# -- learning step ---------------------------------------------------------------------------------


def _rerun_user(kind: str, user_lm: dspy.LM | None, user_llm: str | None, user_llm_args: dict | None) -> dict:
    if kind in ("none", "scripted", None):
        return {"user": "scripted"}  # solo runs never build a user; scripted needs no model
    if kind == "fama":
        if user_lm is None:
            raise ConfigError("The run used the fama user simulator: re-runs need its model (user_lm).")
        return {"user": "fama", "user_lm": user_lm}
    if kind == "tau2":
        if not user_llm:
            raise ConfigError("The run used τ²'s user simulator: re-runs need its model (user_llm).")
        return {"user": "tau2", "user_llm": user_llm, "user_llm_args": user_llm_args}
    raise ConfigError(f"Cannot re-run episodes of user simulator {kind!r}.")


def _rerun(
    plan: list[dict[str, Any]],
    records: dict[tuple, dict[str, Any]],
    run_dir: Path,
    agent_lm: dspy.LM,
    base: str,
    concurrency: int,
    user_lm: dspy.LM | None,
    user_llm: str | None,
    user_llm_args: dict | None,
    progress: bool,
    console: Console,
) -> list[dict[str, Any]]:
    """Run the planned re-runs; each row gains ``fixed`` and ``error`` (errored re-runs carry no credit)."""
    from fama_dspy.benchmarks.tau2.runner import run_episodes
    from fama_dspy.configs import build_agent

    def run_group(
        code: str, trial: int, original: dict[str, Any], task_ids: list[str]
    ) -> list[dict[str, Any]]:
        # The trial is part of the name: the runner keys episodes by (config, task, trial index 0 here).
        with dspy.context(lm=agent_lm):
            return run_episodes(
                lambda: build_agent("fama", base=base, specialists=[code]),
                config_name=f"rerun[{base}+{code}]#{trial}",
                domain=original["domain"],
                split=original.get("split"),
                task_ids=task_ids,
                trials=1,
                seeds=[original.get("seed")],
                solo=bool(original.get("solo")),
                max_steps=original.get("max_steps"),
                max_errors=original.get("max_errors"),
                concurrency=concurrency,
                out=run_dir / RERUNS_DIR,
                progress=progress,
                console=console,
                **_rerun_user(original.get("user"), user_lm or agent_lm, user_llm, user_llm_args),
            )

    return run_planned_reruns(plan, records, run_group, concurrency=concurrency)


# -- the whole analysis ----------------------------------------------------------------------------


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
    user_llm: str | None = None,
    user_llm_args: dict | None = None,
    rerun_seed: int = 0,
    analyzer: FailureAnalyzer | None = None,
    progress: bool = False,
    console: Console | None = None,
) -> tuple[list[FailureDiagnosis], FailureProfile]:
    """Diagnoses of the run's failed episodes (in record order) and the profile built from them.

    ``lm`` judges (named ``judge_model_name`` in every diagnosis); ``model`` names the agent's model in
    the profile. ``rerun_budget`` > 0 enables the learning step, run by ``agent_lm`` (with ``user_lm``
    or ``user_llm`` for interactive runs with an LLM user) on the run's base agent (``base`` overrides
    it). ``analyzer`` replaces the default ``FailureAnalyzer(judge_model=judge_model_name)``.
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
    notes: list[str] = []
    if selection.errors:
        kinds = Counter(str(r.get("error", "")).split(":", 1)[0] for r in selection.errors)
        notes.append(
            f"{len(selection.errors)} episode(s) ended in a harness error and were not analysed "
            f"({', '.join(f'{k} ×{n}' for k, n in kinds.items())})."
        )

    fix_evidence = None
    if rerun_budget > 0:
        splits = {r.get("split") for r in records}
        if "test" in splits:
            raise ConfigError(
                "The learning step re-runs tasks to tune the profile: use a train-split run, "
                "never the test split."
            )
        if agent_lm is None:
            raise ConfigError("The learning step needs the agent's model (agent_lm) to re-run episodes.")
        plan = plan_reruns(diagnoses, rerun_budget, rerun_seed)
        if plan:
            by_episode = {(str(r["task_id"]), int(r.get("trial", 0))): r for r in selection.failed}
            results = _rerun(
                plan,
                by_episode,
                run_dir,
                agent_lm,
                base or base_of_config(config),
                concurrency,
                user_lm,
                user_llm,
                user_llm_args,
                progress,
                console,
            )
            credited = [r for r in results if r["error"] is None]
            fix_evidence = fix_evidence_from_reruns(credited)
            fixed = sum(r["fixed"] for r in credited)
            notes.append(
                f"Learning step: {len(results)} re-run(s) within a budget of {rerun_budget}, "
                f"{fixed} fixed the failure."
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
