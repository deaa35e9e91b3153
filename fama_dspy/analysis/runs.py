"""Failure analysis of a run directory, benchmark-neutral: which configuration, its diagnoses, where profiles go.

A run's episodes are read from ``episodes.jsonl`` (``fama_dspy.results.records``) and its
diagnoses from ``diagnoses.jsonl``, one line per episode and judge model, appended as they are
made; the benchmark's own ``analyze_run`` fills the latter.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fama_dspy.analysis.credit import candidate_reruns
from fama_dspy.analysis.diagnosis import FailureDiagnosis
from fama_dspy.analysis.evidence import FailureEvidence
from fama_dspy.analysis.taxonomy import SPECIALIST_CODES
from fama_dspy.errors import ConfigError
from fama_dspy.parallel import map_in_context
from fama_dspy.results.records import dedupe, episode_key, is_success, load_episodes, read_jsonl

DIAGNOSES_FILE = "diagnoses.jsonl"
RERUNS_DIR = "reruns"
PROFILES_DIR = Path("data/profiles")
_BASE_IN_CONFIG = re.compile(r"^(?:fama|irma|rerun)\[(react|fc)\b")


def diagnosis_key(row: dict[str, Any]) -> tuple:
    """An episode (``episode_key``) and the judge model that diagnosed it."""
    return (*episode_key(row), row.get("judge_model"))


def load_diagnosis_rows(run_dir: Path | str, judge_model: str | None = None) -> list[dict[str, Any]]:
    """Rows of ``<run>/diagnoses.jsonl`` (one per episode and judge model, the latest written), with
    ``evidence`` and ``diagnosis`` parsed; only ``judge_model``'s when given."""
    rows = dedupe(read_jsonl(Path(run_dir) / DIAGNOSES_FILE), key=diagnosis_key)
    out = []
    for row in rows:
        if judge_model is not None and row.get("judge_model") != judge_model:
            continue
        out.append(
            {
                **row,
                "evidence": FailureEvidence.model_validate(row["evidence"]),
                "diagnosis": FailureDiagnosis.model_validate(row["diagnosis"]),
            }
        )
    return out


def select_run(run_dir: Path | str, config: str | None = None) -> tuple[list[dict[str, Any]], str, str]:
    """(records, config, domain) of the one configuration and domain a profile is built from."""
    run_dir = Path(run_dir)
    records = load_episodes(run_dir)
    if not records:
        raise ConfigError(
            f"No episodes in {run_dir} (expected {run_dir / 'episodes.jsonl'}); run `fama run` first."
        )
    configs = sorted({str(r.get("config")) for r in records})
    if config is None:
        if len(configs) > 1:
            raise ConfigError(
                f"{run_dir} holds several configurations ({', '.join(configs)}); choose one with --config."
            )
        config = configs[0]
    records = [r for r in records if r.get("config") == config]
    if not records:
        raise ConfigError(
            f"No episodes of configuration {config!r} in {run_dir}; it holds {', '.join(configs)}."
        )
    domains = sorted({str(r.get("domain")) for r in records})
    if len(domains) > 1:
        raise ConfigError(
            f"Configuration {config!r} in {run_dir} spans several domains ({', '.join(domains)}); "
            "a profile is per domain."
        )
    return records, config, domains[0]


def default_profile_path(model: str, domain: str) -> Path:
    """``data/profiles/<model>__<domain>.json``; the model's last path segment, made file-name safe."""
    name = model.strip().rstrip("/").rsplit("/", 1)[-1]
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "model"
    return PROFILES_DIR / f"{safe}__{domain}.json"


def base_of_config(config: str) -> str:
    """The base agent (react or fc) of a configuration name: ``fc``, ``fama[fc:dce]``, ``irma[fc]``; else react."""
    if config in ("react", "fc"):
        return config
    match = _BASE_IN_CONFIG.match(config)
    return match.group(1) if match else "react"


# -- diagnosis -------------------------------------------------------------------------------------


def plan_reruns(diagnoses: list[FailureDiagnosis], budget: int, seed: int = 0) -> list[dict[str, Any]]:
    """At most ``budget`` re-run rows from ``candidate_reruns``, spread over the specialists.

    The candidates are shuffled (seeded, so a resumed analysis picks the same ones) and taken round
    robin by specialist: with a small budget every linked specialist still gets tried.
    """
    rows = candidate_reruns(diagnoses)
    random.Random(seed).shuffle(rows)
    queues = {s: [r for r in rows if r["specialist"] == s] for s in SPECIALIST_CODES}
    picked: list[dict[str, Any]] = []
    while len(picked) < budget and any(queues.values()):
        for code in SPECIALIST_CODES:
            if queues[code] and len(picked) < budget:
                picked.append(queues[code].pop(0))
    return picked


#: Episode settings a re-run must repeat; re-runs that share them (and the specialist and trial) run
#: together as one batch of tasks.
RERUN_GROUP_FIELDS = ("seed", "solo", "user", "max_steps", "max_errors", "split")


def run_planned_reruns(
    plan: list[dict[str, Any]],
    originals: dict[tuple[str, int], dict[str, Any]],
    run_group: Callable[[str, int, dict[str, Any], list[str]], list[dict[str, Any]]],
    concurrency: int = 1,
) -> list[dict[str, Any]]:
    """Run ``plan_reruns``' rows; each comes back with ``fixed`` and ``error``.

    Rows are grouped by specialist, trial and the original episodes' ``RERUN_GROUP_FIELDS``;
    ``run_group(specialist, trial, original, task_ids)`` runs one group with the benchmark's own
    runner (``original`` is the first failed record of the group) and returns its records. A re-run
    fixes its point when it ends without error and succeeds; errored re-runs carry no credit.

    With ``concurrency`` > 1 each row runs as a group of its own, ``concurrency`` at once: a budget
    spread over five specialists makes groups of one or two tasks, and running those one group
    after another left most of the server's slots idle.
    """
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in plan:
        original = originals[(row["task_id"], row["trial"])]
        key = (row["specialist"], row["trial"], *(original.get(f) for f in RERUN_GROUP_FIELDS))
        groups.setdefault(key, []).append(row)
    units = list(groups.values()) if concurrency <= 1 else [[row] for rows in groups.values() for row in rows]

    def run_unit(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        code, trial = rows[0]["specialist"], rows[0]["trial"]
        original = originals[(rows[0]["task_id"], trial)]
        by_task = {r["task_id"]: r for r in run_group(code, trial, original, [r["task_id"] for r in rows])}
        results = []
        for row in rows:
            record = by_task.get(row["task_id"])
            error = record.get("error") if record is not None else "not run"
            results.append(
                {**row, "error": error, "fixed": error is None and is_success(record.get("reward"))}
            )
        return results

    return [result for group in map_in_context(run_unit, units, concurrency) for result in group]


#: The record fields every diagnosis row repeats, so a row identifies its episode on its own.
DIAGNOSIS_ROW_KEYS = ("config", "domain", "solo", "user", "task_id", "trial", "split")


def diagnose_failed_records(
    records: list[dict[str, Any]],
    run_dir: Path,
    analyzer: Any,
    judge_model: str,
    *,
    evidence_of: Any,
    policy_of: Any,
    concurrency: int = 2,
    row_keys: tuple[str, ...] = DIAGNOSIS_ROW_KEYS,
    progress: bool = False,
    console: Any = None,
) -> None:
    """Diagnose the records ``judge_model`` has not diagnosed yet; each row is appended as it finishes.

    ``evidence_of(record)`` is the benchmark's LLM-free evidence, ``policy_of(record)`` the policy the
    agent had. Any benchmark's ``analyze_run`` uses this; a rerun resumes from ``diagnoses.jsonl``.
    """
    from fama_dspy.progress import RunProgress
    from fama_dspy.results.records import JsonlAppender

    done = {diagnosis_key(r) for r in read_jsonl(Path(run_dir) / DIAGNOSES_FILE)}
    todo = [r for r in records if (*episode_key(r), judge_model) not in done]
    if not todo:
        return
    appender = JsonlAppender(Path(run_dir) / DIAGNOSES_FILE)

    def job(record: dict[str, Any]) -> None:
        evidence = evidence_of(record)
        diagnosis = analyzer(evidence, policy=policy_of(record))
        appender.append(
            {
                **{k: record.get(k) for k in row_keys},
                "judge_model": judge_model,
                "evidence": evidence.model_dump(mode="json"),
                "diagnosis": diagnosis.model_dump(mode="json"),
            }
        )

    bar = RunProgress.counting(console, disable=not progress)
    with bar:
        task = bar.add_task("diagnosing failures", total=len(todo))
        # Each row is saved as it finishes: after a failure a rerun resumes from what finished.
        map_in_context(job, todo, concurrency, on_done=lambda _: bar.advance(task))
