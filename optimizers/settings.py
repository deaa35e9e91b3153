"""Typed settings of the two tuning runs (``pipeline.compile_program``, ``pipeline.tune_program_activation``).

A run's settings fall into a few groups that travel together from the command line to the
record saved with the program: which train points (``TrainingData``), which solo episodes join
the check (``SoloEpisodes``), how the optimizer searches (``CompileSettings`` / ``TuneSettings``)
and where things go (``ProgramOutput``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_DATASET_DIR = Path("data/decisions")
DEFAULT_RUNS_DIR = Path("runs")


class TrainingData(BaseModel):
    """The train decision points of one benchmark domain, and how they are split by task."""

    benchmark: str = "tau2"
    domain: str
    split: str = "train"
    task_ids: list[str] | None = None
    num_tasks: int | None = None
    #: Decision points as the solo agent sees them (a ticket, no user).
    solo_decisions: bool = False
    #: Tuning must not see the tasks claims are made on; this lifts the refusal.
    allow_test_split: bool = False
    held_out_fraction: float = 0.3
    val_fraction: float = 0.3
    seed: int = 0
    dataset_root: Path = DEFAULT_DATASET_DIR


class SoloEpisodes(BaseModel):
    """Solo episodes that join the acceptance check (compile) or the objective (tune).

    ``domain`` None: the training domain when it has a solo mode, else no episodes.
    """

    domain: str | None = None
    split: str | None = None
    task_ids: list[str] | None = None
    num_tasks: int | None = None
    trials: int = 1
    max_steps: int = 30


class CompileSettings(BaseModel):
    """How ``fama compile`` searches: the optimizer chain and each optimizer's budget."""

    optimizer: str = "gepa"
    max_lm_calls: int = 300
    #: MIPROv2: also select few-shot demos.
    with_demos: bool = False
    num_demos: int = 3
    demo_sets: int = 6
    instruction_trials: int = 12
    #: GEPA's run directory; a rerun with the same one resumes GEPA's search.
    gepa_log_dir: Path | None = None
    #: How much worse (mean score) the tuned program may be on held-out points and still be kept.
    tolerance: float = 0.0
    num_threads: int = 1


class TuneSettings(BaseModel):
    """How ``fama tune`` searches the activation space (an Optuna study, resumable from its storage)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    base: str = "react"
    decoding: str | None = None
    id_policy: str | None = None
    n_trials: int = 20
    seed: int = 0
    space: Any = None  # an ``ActivationSpace``; None: the default space
    objective: Any = None  # an ``Objective``; None: the default objective
    # A URL stays a string: ``Path("sqlite:///x.db")`` would collapse its slashes.
    storage: str | Path | None = None
    study_name: str | None = None
    num_threads: int = 1
    #: This process's index when several work on one study (a shared storage); None: the only one.
    worker: int | None = None


class ProgramOutput(BaseModel):
    """Where the saved program and the run's working files go."""

    out: Path | None = None
    name: str | None = None
    runs_dir: Path = DEFAULT_RUNS_DIR
    extra: dict[str, Any] = Field(default_factory=dict)
