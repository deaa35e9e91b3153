"""Decision-level training data: every gold action of a train task is one single-call example.

A decision point (``fama_dspy.results.decisions``) is the state before a gold action and that
action; it needs no user simulator and is scored exactly, so it is the cheap, deterministic unit
that instruction and activation tuning optimise on (docs/design.md §8).

Points are stored as a ``datasets.Dataset`` saved to disk and reused (``load_or_build``): one row per
point, the ``DecisionState`` and the gold ``AgentAction`` as JSON strings (their nested tool schemas
vary too much for a fixed Arrow schema). Only splits without test tasks are accepted
(``guard_split``), because tuning on test tasks would leak into the claims made on them.

``to_examples`` turns rows into ``dspy.Example(state=DecisionState, gold=AgentAction, ...)`` with
``state`` as the only input, which is exactly what ``FamaAgent.forward`` takes. ``split_by_task``
separates examples by task, so no task is on both sides of a tuning / held-out split.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import datasets
import dspy
from fama_dspy.optimizers.settings import DEFAULT_DATASET_DIR
from fama_dspy.signatures.action import AgentAction

from fama_dspy.conversation import DecisionState
from fama_dspy.errors import ConfigError

#: Bump when the row layout or the way points are built changes: stored datasets are then rebuilt.
DATASET_VERSION = 3  # 2: decision views with the request in the first person; 3: ACEBench stop points
#: Split names that mean "every task of the domain" when no domain is given to check against.
_ALL_TASK_SPLITS = ("", "all", "base", "full")

FEATURES = datasets.Features(
    {
        "point_id": datasets.Value("string"),
        "domain": datasets.Value("string"),
        "task_id": datasets.Value("string"),
        "index": datasets.Value("int32"),
        "solo": datasets.Value("bool"),
        "state": datasets.Value("string"),
        "gold": datasets.Value("string"),
        "compare_args": datasets.Value("string"),
        "writes": datasets.Value("bool"),
        "derivable": datasets.Value("bool"),
        "underivable": datasets.Sequence(datasets.Value("string")),
    }
)


def guard_split(
    split: str | None, allow_test: bool = False, domain: str | None = None, benchmark: Any = "tau2"
) -> str | None:
    """Refuse a split that holds test tasks unless ``allow_test``; return ``split`` unchanged.

    Without ``domain``: "test" and the names meaning every task (None, "", "all", "base", "full")
    are refused. With ``domain``: any split whose tasks overlap the domain's test split is refused
    (mock has no test split, so all of its tasks are allowed).
    """
    if allow_test:
        return split
    name = (split or "").strip().lower()
    hint = "pass --allow-test-split (allow_test=True) to tune on it anyway"
    if name == "test":
        raise ConfigError(f"Refusing the test split: tuning must not see the tasks used for claims; {hint}.")
    if domain is None:
        if name in _ALL_TASK_SPLITS:
            raise ConfigError(
                f"Split {split!r} includes the test tasks; use 'train' (or give the domain to check the split), or {hint}."
            )
        return split
    from fama_dspy.benchmarks import get_benchmark

    benchmark = get_benchmark(benchmark)
    splits = benchmark.splits(domain)
    test_ids = set(splits.get("test", []))
    chosen = set(splits[benchmark.normalize_split(domain, split)])
    overlap = chosen & test_ids
    if overlap:
        raise ConfigError(
            f"Split {split!r} of {domain} holds {len(overlap)} test task(s); use 'train', or {hint}."
        )
    return split


def point_row(point: Any) -> dict[str, Any]:
    """One dataset row from a harness ``DecisionPoint`` (or anything with its fields)."""
    return {
        "point_id": point.id,
        "domain": point.domain,
        "task_id": str(point.task_id),
        "index": int(point.index),
        "solo": bool(point.solo),
        "state": point.state.model_dump_json(),
        "gold": point.gold.model_dump_json(),
        "compare_args": json.dumps(point.compare_args),
        "writes": point.writes,
        "derivable": bool(point.derivable),
        "underivable": list(point.underivable),
    }


def decision_dataset(points: Iterable[Any], metadata: dict[str, Any] | None = None) -> datasets.Dataset:
    """A ``datasets.Dataset`` of decision points; ``metadata`` is kept in its info description."""
    rows = [point_row(p) for p in points]
    description = json.dumps({"version": DATASET_VERSION, **(metadata or {})}, sort_keys=True)
    info = datasets.DatasetInfo(description=description, features=FEATURES)
    if not rows:
        return datasets.Dataset.from_dict({name: [] for name in FEATURES}, features=FEATURES, info=info)
    return datasets.Dataset.from_list(rows, features=FEATURES, info=info)


def dataset_metadata(ds: datasets.Dataset) -> dict[str, Any]:
    try:
        return json.loads(ds.info.description or "{}")
    except json.JSONDecodeError:
        return {}


def build_decision_dataset(
    domain: str,
    split: str = "train",
    *,
    task_ids: Sequence[str] | None = None,
    num_tasks: int | None = None,
    solo: bool = False,
    confirm_writes: bool = True,
    allow_test_split: bool = False,
    benchmark: Any = "tau2",
) -> datasets.Dataset:
    """Decision points of the selected tasks (gold replay, no LM) as a dataset; ``benchmark``: a
    registry name or a ``Benchmark``."""
    guard_split(split, allow_test_split, domain=domain, benchmark=benchmark)
    from fama_dspy.benchmarks import get_benchmark

    # The confirmation exchange before writes is a view option of benchmarks that have one (τ²).
    view = {} if confirm_writes else {"confirm_writes": False}
    points = get_benchmark(benchmark).decision_points(
        domain, split, task_ids=task_ids, num_tasks=num_tasks, solo=solo, **view
    )
    return decision_dataset(
        points, _build_parameters(domain, split, task_ids, num_tasks, solo, confirm_writes)
    )


def _build_parameters(domain, split, task_ids, num_tasks, solo, confirm_writes) -> dict[str, Any]:
    return {
        "domain": domain,
        "split": split,
        "task_ids": list(task_ids) if task_ids is not None else None,
        "num_tasks": num_tasks,
        "solo": solo,
        "confirm_writes": confirm_writes,
    }


def dataset_dir(
    domain: str,
    split: str = "train",
    *,
    task_ids: Sequence[str] | None = None,
    num_tasks: int | None = None,
    solo: bool = False,
    confirm_writes: bool = True,
    root: Path | str = DEFAULT_DATASET_DIR,
    benchmark: str = "tau2",
) -> Path:
    """Where ``load_or_build`` keeps the dataset of these parameters (τ²'s directly under ``root``,
    where they were kept before benchmarks were named)."""
    name = (
        "" if benchmark == "tau2" else f"{benchmark}/"
    ) + f"{domain}-{split or 'base'}{'-solo' if solo else ''}{'' if confirm_writes else '-noconfirm'}"
    if task_ids is not None or num_tasks is not None:
        digest = hashlib.sha256(json.dumps([list(task_ids or []), num_tasks]).encode()).hexdigest()[:10]
        name += f"-{digest}"
    return Path(root) / name


def save_decision_dataset(ds: datasets.Dataset, path: Path | str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A few dozen records: datasets' shard progress bar would only clutter the command's output.
    quiet = datasets.are_progress_bars_disabled()
    datasets.disable_progress_bars()
    try:
        ds.save_to_disk(str(path))
    finally:
        if not quiet:
            datasets.enable_progress_bars()
    return path


def load_decision_dataset(path: Path | str) -> datasets.Dataset:
    path = Path(path)
    if not path.exists():
        raise ConfigError(
            f"No decision dataset at {path}; build it first (build_decision_dataset / load_or_build)."
        )
    return datasets.load_from_disk(str(path))


def load_or_build(
    domain: str,
    split: str = "train",
    *,
    task_ids: Sequence[str] | None = None,
    num_tasks: int | None = None,
    solo: bool = False,
    confirm_writes: bool = True,
    allow_test_split: bool = False,
    root: Path | str = DEFAULT_DATASET_DIR,
    benchmark: str = "tau2",
) -> datasets.Dataset:
    """The stored dataset for these parameters, built and saved on first use.

    A stored dataset is reused only when its recorded version and build parameters match; any
    other is rebuilt (the split guard applies either way).
    """
    guard_split(split, allow_test_split, domain=domain, benchmark=benchmark)
    path = dataset_dir(
        domain,
        split,
        task_ids=task_ids,
        num_tasks=num_tasks,
        solo=solo,
        confirm_writes=confirm_writes,
        root=root,
        benchmark=benchmark,
    )
    wanted = {
        "version": DATASET_VERSION,
        **_build_parameters(domain, split, task_ids, num_tasks, solo, confirm_writes),
    }
    if path.exists():
        stored = load_decision_dataset(path)
        if dataset_metadata(stored) == wanted:
            return stored
    ds = build_decision_dataset(
        domain,
        split,
        task_ids=task_ids,
        num_tasks=num_tasks,
        solo=solo,
        confirm_writes=confirm_writes,
        allow_test_split=allow_test_split,
        benchmark=benchmark,
    )
    save_decision_dataset(ds, path)
    # Reload so the caller gets the memory-mapped copy that later calls will also get.
    return load_decision_dataset(path)


def row_example(row: dict[str, Any]) -> dspy.Example:
    """A ``dspy.Example`` with ``state`` as its only input; the rest is what the metric reads."""
    return dspy.Example(
        state=DecisionState.model_validate_json(row["state"]),
        gold=AgentAction.model_validate_json(row["gold"]),
        point_id=row["point_id"],
        domain=row["domain"],
        task_id=row["task_id"],
        index=row["index"],
        solo=row["solo"],
        compare_args=json.loads(row["compare_args"]) if row.get("compare_args") else None,
        writes=row["writes"],
        derivable=row["derivable"],
        underivable=list(row.get("underivable") or []),
    ).with_inputs("state")


def to_examples(ds: datasets.Dataset | Iterable[dict[str, Any]]) -> list[dspy.Example]:
    return [row_example(row) for row in ds]


def _task_rank(task_key: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{task_key}".encode()).hexdigest()


def split_by_task(
    examples: Sequence[dspy.Example], held_out_fraction: float = 0.3, seed: int = 0
) -> tuple[list[dspy.Example], list[dspy.Example]]:
    """(kept, held_out): whole tasks go to one side, chosen by a seeded hash of "domain/task_id".

    Deterministic for a seed and independent of example order; with at least two tasks and a
    fraction in (0, 1), both sides get at least one task. Example order is kept on each side.
    """
    if not 0.0 <= held_out_fraction <= 1.0:
        raise ConfigError(f"held_out_fraction must be in [0, 1], got {held_out_fraction}.")
    keys = sorted({f"{e.domain}/{e.task_id}" for e in examples}, key=lambda k: _task_rank(k, seed))
    n_held = math.ceil(held_out_fraction * len(keys)) if held_out_fraction else 0
    if len(keys) >= 2 and 0.0 < held_out_fraction < 1.0:
        n_held = min(max(n_held, 1), len(keys) - 1)
    held = set(keys[:n_held])
    kept = [e for e in examples if f"{e.domain}/{e.task_id}" not in held]
    held_out = [e for e in examples if f"{e.domain}/{e.task_id}" in held]
    return kept, held_out


def examples_by_task(examples: Sequence[dspy.Example]) -> dict[str, list[dspy.Example]]:
    """Examples grouped by "domain/task_id", tasks in first-appearance order."""
    groups: dict[str, list[dspy.Example]] = {}
    for e in examples:
        groups.setdefault(f"{e.domain}/{e.task_id}", []).append(e)
    return groups
