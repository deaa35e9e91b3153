"""Failure analysis of a run directory, benchmark-neutral: which configuration, its diagnoses, where profiles go.

A run's episodes are read from ``episodes.jsonl`` (``fama_dspy.results.records``) and its
diagnoses from ``diagnoses.jsonl``, one line per episode and judge model, appended as they are
made; the benchmark's own ``analyze_run`` fills the latter.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

from fama_dspy.analysis.credit import candidate_reruns
from fama_dspy.analysis.diagnosis import FailureDiagnosis
from fama_dspy.analysis.evidence import FailureEvidence
from fama_dspy.analysis.taxonomy import SPECIALIST_CODES
from fama_dspy.errors import ConfigError
from fama_dspy.results.records import dedupe, episode_key, load_episodes, read_jsonl

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
