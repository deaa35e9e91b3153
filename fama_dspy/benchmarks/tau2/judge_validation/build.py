"""Building and loading the judge validation set: perturbations that τ² scores 0 for the intended reason.

A perturbation is replayed and kept only if τ² scores it 0 *for the intended reason*, checked on the
extracted ``FailureEvidence`` against the findings the unperturbed gold dialogue already has.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console

from fama_dspy import __version__
from fama_dspy.analysis.evidence import FailureEvidence
from fama_dspy.benchmarks.tau2.evidence import evidence_from_record
from fama_dspy.benchmarks.tau2.judge_validation.context import TaskContext, task_context
from fama_dspy.benchmarks.tau2.judge_validation.dialogue import replay
from fama_dspy.benchmarks.tau2.judge_validation.generators import GENERATORS, perturbations
from fama_dspy.benchmarks.tau2.judge_validation.perturbation import MAX_CANDIDATES, Perturbation
from fama_dspy.benchmarks.tau2.tasks import load_tasks
from fama_dspy.results.records import is_success

__all__ = [
    "DEFAULT_DOMAINS",
    "DEFAULT_PER_CATEGORY",
    "EXAMPLES_FILE",
    "MANIFEST_FILE",
    "beyond",
    "build_validation_set",
    "example_row",
    "load_validation_set",
    "rejection",
]

EXAMPLES_FILE = "perturbed_failures.jsonl"
MANIFEST_FILE = "manifest.json"
DEFAULT_DOMAINS = ("airline", "retail")
#: Per (domain, category): 14 examples per category in about 350 KB of JSONL.
DEFAULT_PER_CATEGORY = 7


_FINDINGS = ("missed_actions", "wrong_argument_actions", "missing_information", "tool_errors")


def beyond(evidence: FailureEvidence, baseline: FailureEvidence) -> FailureEvidence:
    """``evidence`` without the findings the gold dialogue itself has (some gold plans look up a product
    that does not exist): only what the perturbation added is checked against its expectation."""
    return evidence.model_copy(
        update={f: [x for x in getattr(evidence, f) if x not in getattr(baseline, f)] for f in _FINDINGS}
    )


def rejection(
    record: dict[str, Any], evidence: FailureEvidence, perturbation: Perturbation, baseline: FailureEvidence
) -> str | None:
    """Why a replayed perturbation is not a clean example of its category (None: keep it);
    ``baseline`` is the evidence of the unperturbed gold dialogue."""
    if record.get("error"):
        return f"the episode errored: {record['error']}"
    if record.get("reward", 1.0) != 0.0:
        return f"τ² scored it {record.get('reward')}"
    if evidence.invalid_actions or evidence.fallbacks:
        return "an action was rejected before execution"
    if record.get("termination") != "user_stop":
        return f"ended by {record.get('termination')}"
    return perturbation.expect(beyond(evidence, baseline))


def example_row(ctx: TaskContext, perturbation: Perturbation, evidence: FailureEvidence) -> dict[str, Any]:
    return {
        "id": f"{ctx.domain}/{ctx.task.id}/{perturbation.kind}",
        "label": perturbation.label,
        "kind": perturbation.kind,
        "domain": ctx.domain,
        "task_id": ctx.task.id,
        "description": perturbation.description,
        "evidence": evidence.model_dump(mode="json"),
    }


def build_validation_set(
    out: Path | str,
    domains: tuple[str, ...] = DEFAULT_DOMAINS,
    split: str = "train",
    per_category: int = DEFAULT_PER_CATEGORY,
    console: Console | None = None,
) -> dict[str, Any]:
    """Write up to ``per_category`` examples per (domain, category) to ``<out>/perturbed_failures.jsonl``
    (at most one per task and category) and a manifest with the counts; returns the manifest."""
    console = console or Console(stderr=True)
    rows: list[dict[str, Any]] = []
    tried: Counter[str] = Counter()
    for domain in domains:
        counts: Counter[str] = Counter()
        for index, task in enumerate(load_tasks(domain, split)):
            if all(counts[c] >= per_category for c in GENERATORS):
                break
            ctx = task_context(domain, task, index)
            gold = replay(task, domain, ctx.steps)
            if not is_success(gold["reward"]):
                console.print(
                    f"[yellow]{domain}/{task.id}: the gold dialogue scores {gold['reward']}; skipped"
                )
                continue
            baseline = evidence_from_record(gold, task)
            for category in GENERATORS:
                if counts[category] >= per_category:
                    continue
                for attempt, perturbation in enumerate(perturbations(ctx, category)):
                    if attempt >= MAX_CANDIDATES:
                        break
                    tried[perturbation.kind] += 1
                    record = replay(task, domain, perturbation.steps, perturbation.kind)
                    evidence = evidence_from_record(record, task)
                    if rejection(record, evidence, perturbation, baseline) is None:
                        rows.append(example_row(ctx, perturbation, evidence))
                        counts[category] += 1
                        break
        console.print(f"{domain}: " + ", ".join(f"{c} {counts[c]}" for c in GENERATORS))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / EXAMPLES_FILE
    path.write_text("".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows))
    manifest = {
        "file": EXAMPLES_FILE,
        "examples": len(rows),
        "split": split,
        "domains": list(domains),
        "per_category_and_domain": per_category,
        "by_label": dict(Counter(r["label"] for r in rows)),
        "by_domain_and_label": {
            d: dict(Counter(r["label"] for r in rows if r["domain"] == d)) for d in domains
        },
        "by_kind": dict(Counter(r["kind"] for r in rows)),
        "replayed_per_kind": dict(tried),
        "bytes": path.stat().st_size,
        "fama_dspy_version": __version__,
    }
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def load_validation_set(path: Path | str) -> list[dict[str, Any]]:
    """Rows of a validation file (or of ``<folder>/perturbed_failures.jsonl``), evidence validated."""
    path = Path(path)
    if path.is_dir():
        path = path / EXAMPLES_FILE
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    for row in rows:
        row["evidence"] = FailureEvidence.model_validate(row["evidence"])
    return rows
