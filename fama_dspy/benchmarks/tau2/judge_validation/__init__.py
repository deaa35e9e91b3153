"""Judge validation: failures with a known cause, made by perturbing gold trajectories, and how well the
failure judges recognise them.

Each train task of airline and retail becomes a scripted *gold dialogue* that τ² scores 1.0. A
perturbation changes that plan in one known way; the result is replayed through τ²'s real
orchestrator, environment and evaluator (no LLM anywhere), and kept only if τ² scores it 0 *for the
intended reason*, checked on the extracted ``FailureEvidence``.

- ``dialogue``: the gold dialogue of a task and its replay; ``context``: what a perturbation may look
  at; ``rules``: the domain policy facts the perturbations rely on;
- ``perturbation``: what the generators share; one module of generators per error category:
  ``gen_dpv`` (domain policy violation), ``gen_wrco`` (wrong retrieval from complex tool outputs),
  ``gen_cm`` (contextual misinterpretation), ``gen_ifu`` (incomplete fulfilment); ``generators``
  lists them all;
- ``build``: building, saving and loading the set (``data/judge_validation/``);
- ``scoring``: the judges' precision and recall on the set.

``fama validate-judges build`` rebuilds the set; ``fama validate-judges score`` scores judges on it.
"""

from __future__ import annotations

from fama_dspy.benchmarks.tau2.judge_validation.build import (
    DEFAULT_DOMAINS,
    DEFAULT_PER_CATEGORY,
    EXAMPLES_FILE,
    MANIFEST_FILE,
    build_validation_set,
    load_validation_set,
    rejection,
)
from fama_dspy.benchmarks.tau2.judge_validation.context import TaskContext, task_context
from fama_dspy.benchmarks.tau2.judge_validation.dialogue import (
    CONFIRM_REPLY,
    DialogueUser,
    Step,
    gold_dialogue,
    replay,
)
from fama_dspy.benchmarks.tau2.judge_validation.generators import GENERATORS, perturbations
from fama_dspy.benchmarks.tau2.judge_validation.perturbation import Perturbation
from fama_dspy.benchmarks.tau2.judge_validation.scoring import (
    DEFAULT_PATH,
    CategoryScore,
    JudgeValidation,
    balanced_subset,
    evaluate_judges,
    score_judges,
    validation_table,
)

__all__ = [
    "CONFIRM_REPLY",
    "DEFAULT_DOMAINS",
    "DEFAULT_PATH",
    "DEFAULT_PER_CATEGORY",
    "EXAMPLES_FILE",
    "GENERATORS",
    "MANIFEST_FILE",
    "CategoryScore",
    "DialogueUser",
    "JudgeValidation",
    "Perturbation",
    "Step",
    "TaskContext",
    "balanced_subset",
    "build_validation_set",
    "evaluate_judges",
    "gold_dialogue",
    "load_validation_set",
    "perturbations",
    "rejection",
    "replay",
    "score_judges",
    "task_context",
    "validation_table",
]
