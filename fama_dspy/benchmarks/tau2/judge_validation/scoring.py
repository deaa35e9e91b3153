"""How far to trust a failure profile: the judges' precision and recall per error category, measured on
failures whose cause is known by construction (the validation set ``build.py`` makes).

Every example is an agent-caused failure with exactly one intended category. Per category:
- *judge* scores: the category's own judge said "occurred" (positive) or not; an unparseable answer
  (unknown) counts as not positive and is also reported;
- *primary* scores: the category is among the analyzer's primary error(s) (what the profile counts).
Precision is undefined (shown as "-") when nothing was predicted positive. A perturbation may also
cause a second category's symptoms (an invented id also leaves a request unfinished), so a judge
that fires there lowers its precision although it is not plainly wrong: read precision as a lower
bound. The non-agent detector should exclude none of these episodes; its false alarms are counted.

``fama validate-judges score --judge-model local`` prints the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dspy
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from fama_dspy.analysis.diagnosis import FailureDiagnosis
from fama_dspy.analysis.judges import FailureAnalyzer
from fama_dspy.analysis.taxonomy import CATEGORIES
from fama_dspy.benchmarks.tau2.builders import make_environment
from fama_dspy.benchmarks.tau2.judge_validation.build import EXAMPLES_FILE, load_validation_set
from fama_dspy.errors import ConfigError
from fama_dspy.parallel import map_in_context
from fama_dspy.progress import RunProgress

DEFAULT_PATH = Path("data/judge_validation") / EXAMPLES_FILE

__all__ = [
    "DEFAULT_PATH",
    "CategoryScore",
    "JudgeValidation",
    "balanced_subset",
    "evaluate_judges",
    "score_judges",
    "validation_table",
]


class CategoryScore(BaseModel):
    """Confusion counts of one yes/no prediction against the labels of one category."""

    support: int = 0  # examples labelled with the category
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    #: Examples where the prediction was unknown (unparseable judge output), counted as not positive.
    unknown: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / self.support if self.support else None

    def add(self, labelled: bool, predicted: bool | None) -> None:
        self.support += labelled
        self.unknown += predicted is None
        if predicted:
            self.tp += labelled
            self.fp += not labelled
        else:
            self.fn += labelled
            self.tn += not labelled


class JudgeValidation(BaseModel):
    n: int
    judge_model: str = ""
    judges: dict[str, CategoryScore]
    primary: dict[str, CategoryScore]
    #: Episodes (all agent-caused by construction) the non-agent detector excluded.
    non_agent_false_alarms: int = 0
    parse_failures: int = 0


def score_judges(labels: Sequence[str], diagnoses: Sequence[FailureDiagnosis]) -> JudgeValidation:
    """Per-category judge and primary-error scores of ``diagnoses`` against ``labels`` (same order)."""
    if len(labels) != len(diagnoses):
        raise ValueError(f"{len(labels)} labels for {len(diagnoses)} diagnoses")
    unknown_labels = sorted(set(labels) - set(CATEGORIES))
    if unknown_labels:
        raise ConfigError(f"Unknown error categories in the labels: {', '.join(unknown_labels)}.")
    judges = {c: CategoryScore() for c in CATEGORIES}
    primary = {c: CategoryScore() for c in CATEGORIES}
    for label, diagnosis in zip(labels, diagnoses):
        for c in CATEGORIES:
            verdict = diagnosis.verdicts.get(c)
            judges[c].add(label == c, verdict.occurred if verdict is not None else None)
            primary[c].add(label == c, c in diagnosis.primary)
    models = sorted({d.judge_model for d in diagnoses if d.judge_model})
    return JudgeValidation(
        n=len(labels),
        judge_model=", ".join(models),
        judges=judges,
        primary=primary,
        non_agent_false_alarms=sum(d.non_agent != "none" for d in diagnoses),
        parse_failures=sum(d.parse_failures for d in diagnoses),
    )


def balanced_subset(rows: Sequence[dict[str, Any]], limit: int | None) -> list[dict[str, Any]]:
    """The first ``limit`` rows taken round-robin over the labels (file order within a label), so a
    small budget still scores every category instead of whichever the file lists first."""
    if limit is None or limit >= len(rows):
        return list(rows)
    by_label: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_label.setdefault(row["label"], []).append(row)
    queues = [by_label[label] for label in sorted(by_label)]
    chosen: list[dict[str, Any]] = []
    depth = 0
    while len(chosen) < limit:
        chosen += [q[depth] for q in queues if depth < len(q)][: limit - len(chosen)]
        depth += 1
    return chosen


def evaluate_judges(
    lm: dspy.LM,
    path: Path | str = DEFAULT_PATH,
    judge_model: str | None = None,
    concurrency: int = 2,
    limit: int | None = None,
    analyzer: FailureAnalyzer | None = None,
    progress: bool = False,
    console: Console | None = None,
) -> JudgeValidation:
    """Run the failure analyzer (judges, non-agent detector, primary selection) on every example of the
    validation set with ``lm`` and score it; ``limit`` keeps N examples balanced over the categories (a
    quick look that still scores every category)."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"No judge validation set at {path}; build it with `fama validate-judges build`.")
    rows = balanced_subset(load_validation_set(path), limit)
    if not rows:
        raise ConfigError(f"The judge validation set {path} is empty.")
    analyzer = analyzer or FailureAnalyzer(judge_model=judge_model)
    policies = {d: make_environment(d).get_policy() for d in sorted({r["domain"] for r in rows})}

    def judge(row: dict[str, Any]) -> FailureDiagnosis:
        return analyzer(row["evidence"], policy=policies[row["domain"]])

    bar = RunProgress.counting(console, disable=not progress)
    with dspy.context(lm=lm), bar:
        task = bar.add_task("judging", total=len(rows))
        # Each example runs in a copy of this context, so the worker threads see the LM.
        diagnoses = map_in_context(judge, rows, concurrency, on_done=lambda _: bar.advance(task))
    return score_judges([r["label"] for r in rows], diagnoses)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def validation_table(result: JudgeValidation, title: str = "Judge validation") -> Table:
    table = Table(
        title=title,
        caption=(
            f"{result.n} perturbed failures · judge {result.judge_model or '?'} · non-agent false alarms "
            f"{result.non_agent_false_alarms} · unparseable outputs {result.parse_failures}"
        ),
    )
    for column in (
        "category",
        "examples",
        "judge precision",
        "judge recall",
        "unknown",
        "primary precision",
        "primary recall",
    ):
        table.add_column(column, justify="left" if column == "category" else "right")
    for c in CATEGORIES:
        j, p = result.judges[c], result.primary[c]
        table.add_row(
            c,
            str(j.support),
            f"{_pct(j.precision)} ({j.tp}/{j.tp + j.fp})",
            f"{_pct(j.recall)} ({j.tp}/{j.support})",
            str(j.unknown),
            f"{_pct(p.precision)} ({p.tp}/{p.tp + p.fp})",
            f"{_pct(p.recall)} ({p.tp}/{p.support})",
        )
    return table
