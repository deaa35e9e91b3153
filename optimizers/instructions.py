"""Instruction tuning of a FAMA agent's predictors with DSPy optimizers, under a budget of LM calls.

The student is the whole ``FamaAgent``: its ``named_predictors`` are the tool-use agent's
``agent.decide`` and each active specialist's predictor (``dce.extract``, ``tor.reformat``, ...).
Training data are decision examples (``dataset.to_examples``): one call of the program per example.

- **GEPA** (main path): reflective prompt evolution driven by ``DecisionFeedbackMetric``, whose
  feedback says why an action was wrong in the FAMA failure vocabulary. Its own budget is in
  metric calls (program runs); we derive that from the LM-call budget with the expected LM calls
  per run (``expected_lm_calls``), and stop it for good with a stopper that watches the LM calls
  actually made (task model and reflection model, cache hits included). The stopper is checked
  between GEPA iterations, so the count can pass the budget by at most one iteration. GEPA always
  starts with one evaluation of the untuned program on the validation set.
- **MIPROv2** (alternative): proposes instruction candidates (and, with ``with_demos``, few-shot
  demo sets) and searches combinations with Optuna. Its budget is planned, not enforced: the
  number of trials is what is left of the LM-call budget after the estimated proposal and
  bootstrap calls, divided by the cost of one validation pass.

The reflection / proposal model is ``reflection_lm``; by default the task model itself (the
same model spec), as the paper tunes each small model with itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import dspy
from fama_dspy.optimizers.metric import DecisionFeedbackMetric, exact_metric
from fama_dspy.optimizers.program import instructions
from fama_dspy.optimizers.usage import measure_lm_usage
from rich.console import Console

from fama_dspy.errors import ConfigError
from fama_dspy.fama_agent import FamaAgent, gate_open
from fama_dspy.specialists.verifier import changes_state

OPTIMIZERS = ("gepa", "mipro")
#: MIPROv2 bootstraps on the train examples even for instruction-only tuning; this caps how many it sees.
MIPRO_TRAIN_CAP = 10


@dataclass
class InstructionTuning:
    """The tuned program and the record of how it was tuned (saved into the program file)."""

    program: FamaAgent
    optimizer: str
    budget: dict[str, Any]
    usage: dict[str, Any]
    instructions_before: dict[str, str]
    instructions_after: dict[str, str]
    val_score: float | None = None
    stopped_by_budget: bool = False
    details: dict[str, Any] = field(default_factory=dict)
    #: Predictors whose few-shot demos the optimizer set (the ``demos`` optimizer changes no instruction).
    changed_demos: list[str] = field(default_factory=list)

    @property
    def changed(self) -> list[str]:
        changed = [
            n for n, text in self.instructions_after.items() if self.instructions_before.get(n) != text
        ]
        return changed + [n for n in self.changed_demos if n not in changed]

    def record(self) -> dict[str, Any]:
        """JSON record for ``program_info["tuning"]``."""
        return {
            "optimizer": self.optimizer,
            "budget": self.budget,
            "usage": self.usage,
            "val_score": self.val_score,
            "stopped_by_budget": self.stopped_by_budget,
            "changed_predictors": self.changed,
            **self.details,
        }


def expected_lm_calls(agent: FamaAgent, example: dspy.Example) -> float:
    """LM calls one run of ``agent`` on the example is expected to make.

    Exact for the context specialists (their gates and TOR's length rule depend on the state
    only); the agent's own call is 1; VER adds a check (and a possible revision, counted as half
    a call) when the gold action changes state, the closest cheap guess of what the agent will do.
    """
    state = example.state
    calls = 1.0
    for code in agent.context_specialists:
        if code == "mem" or not gate_open(agent.gates.get(code, "always"), state):
            continue
        if code == "tor":
            output = state.last_tool_output()
            if output is None or len(output.content) < agent.tor.min_chars:
                continue
        calls += 1
    if "ver" in agent.active_specialists and changes_state(state, example.gold):
        calls += 1.5
    return calls


def mean_expected_lm_calls(agent: FamaAgent, examples: Sequence[dspy.Example]) -> float:
    return sum(expected_lm_calls(agent, e) for e in examples) / len(examples) if examples else 1.0


class LMCallBudgetStopper:
    """GEPA stopper: stops once the LM calls made reach ``max_lm_calls``; reports progress."""

    def __init__(self, usage, max_lm_calls: int, console: Console | None = None):
        self.usage = usage
        self.max_lm_calls = max_lm_calls
        self.console = console
        self.stopped = False

    def __call__(self, gepa_state) -> bool:
        if self.console is not None:
            scores = getattr(gepa_state, "program_full_scores_val_set", None) or []
            best = f", best val score {max(scores):.3f}" if scores else ""
            self.console.print(
                f"GEPA iteration {getattr(gepa_state, 'i', -1) + 1}: {self.usage.calls}/{self.max_lm_calls} LM calls, "
                f"{len(getattr(gepa_state, 'program_candidates', []) or [])} candidate(s){best}"
            )
        if self.usage.calls >= self.max_lm_calls:
            self.stopped = True
        return self.stopped


def _signature_key(predictor) -> tuple:
    sig = predictor.signature
    return tuple(sig.input_fields), tuple(sig.output_fields)


class TracedComponentSelector:
    """GEPA component selector: round robin over the chosen predictors that ran on the minibatch.

    A predictor that no example reaches (e.g. the solo decision predictor on interactive points, or a
    gated specialist) has no trace to reflect on, and GEPA fails a round that selects only it. Trace
    entries are matched to names by their signature's fields, as candidates differ in instructions only.
    """

    def __init__(self, student, names: Sequence[str]):
        self.names = list(names)
        self.keys = {name: _signature_key(p) for name, p in student.named_predictors() if name in self.names}
        self._next: dict[int, int] = {}

    def __call__(self, state, trajectories, subsample_scores, candidate_idx, candidate) -> list[str]:
        seen = {_signature_key(entry[0]) for t in trajectories or [] for entry in (t.get("trace") or [])}
        eligible = [n for n in self.names if self.keys[n] in seen] or self.names
        i = self._next.get(candidate_idx, 0)
        self._next[candidate_idx] = i + 1
        return [eligible[i % len(eligible)]]


def _check_inputs(agent, trainset, valset, optimizer, max_lm_calls, predictors) -> list[str]:
    if not isinstance(agent, FamaAgent):
        raise ConfigError(f"Instruction tuning takes a FamaAgent, not {type(agent).__name__}.")
    if optimizer not in OPTIMIZERS:
        raise ConfigError(f"Unknown optimizer {optimizer!r}; valid: {', '.join(OPTIMIZERS)}.")
    if not trainset:
        raise ConfigError("No training examples to tune on.")
    if valset is not None and not valset:
        raise ConfigError("The validation set is empty; pass None to let the optimizer split the train set.")
    if max_lm_calls < 1:
        raise ConfigError(f"max_lm_calls must be at least 1, got {max_lm_calls}.")
    names = [n for n, _ in agent.named_predictors()]
    if predictors is None:
        return names
    unknown = sorted(set(predictors) - set(names))
    if unknown:
        raise ConfigError(f"Unknown predictor(s) {', '.join(unknown)}; this agent has: {', '.join(names)}.")
    if optimizer == "mipro":
        raise ConfigError("MIPROv2 searches all predictors jointly; choose predictors with GEPA only.")
    return list(predictors)


def tune_instructions(
    agent: FamaAgent,
    trainset: Sequence[dspy.Example],
    valset: Sequence[dspy.Example] | None = None,
    *,
    optimizer: str = "gepa",
    max_lm_calls: int = 300,
    task_lm: dspy.LM | None = None,
    reflection_lm: dspy.LM | None = None,
    metric: Callable | None = None,
    predictors: Sequence[str] | None = None,
    with_demos: bool = False,
    max_demos: int = 2,
    num_candidates: int = 3,
    minibatch_size: int = 3,
    num_threads: int = 1,
    seed: int = 0,
    log_dir: str | None = None,
    progress: bool = True,
    console: Console | None = None,
) -> InstructionTuning:
    """Tune the agent's instructions (GEPA or MIPROv2) within about ``max_lm_calls`` LM calls.

    ``task_lm`` defaults to DSPy's configured LM, ``reflection_lm`` (GEPA's reflection model,
    MIPROv2's prompt model) to ``task_lm``. ``predictors`` limits GEPA to some predictor names.
    ``with_demos`` / ``max_demos`` / ``num_candidates``: MIPROv2 only. ``log_dir``: GEPA's run
    directory (resumes a run). The input agent is left unchanged.
    """
    names = _check_inputs(agent, trainset, valset, optimizer, max_lm_calls, predictors)
    task_lm = task_lm or dspy.settings.lm
    if task_lm is None:
        raise ConfigError("No task LM: pass task_lm or configure one (dspy.configure / dspy.context).")
    reflection_lm = reflection_lm or task_lm
    console = console or Console(stderr=True)
    before = instructions(agent)
    trainset, valset = list(trainset), list(valset) if valset is not None else None
    per_run = mean_expected_lm_calls(agent, trainset + (valset or []))
    with dspy.context(lm=task_lm), measure_lm_usage() as usage:
        if optimizer == "gepa":
            program, budget, val_score, stopped, details = _run_gepa(
                agent,
                trainset,
                valset,
                metric or DecisionFeedbackMetric(),
                max_lm_calls,
                per_run,
                reflection_lm,
                names,
                minibatch_size,
                num_threads,
                seed,
                log_dir,
                usage,
                console if progress else None,
            )
        else:
            program, budget, val_score, stopped, details = _run_mipro(
                agent,
                trainset,
                valset,
                metric or exact_metric,
                max_lm_calls,
                per_run,
                task_lm,
                reflection_lm,
                with_demos,
                max_demos,
                num_candidates,
                num_threads,
                seed,
                progress,
            )
    result = InstructionTuning(
        program=program,
        optimizer=optimizer,
        budget=budget,
        usage=usage.as_dict(),
        instructions_before=before,
        instructions_after=instructions(program),
        val_score=val_score,
        stopped_by_budget=stopped,
        details=details,
    )
    if progress:
        console.print(
            f"{optimizer}: {usage.calls} LM calls ({usage.served} served, {usage.cache_hits} cache hits) "
            f"of a budget of {max_lm_calls}; changed: {', '.join(result.changed) or 'nothing'}"
        )
    return result


def _run_gepa(
    agent,
    trainset,
    valset,
    metric,
    max_lm_calls,
    per_run,
    reflection_lm,
    names,
    minibatch_size,
    num_threads,
    seed,
    log_dir,
    usage,
    console,
):
    max_metric_calls = max(1, math.floor(max_lm_calls / per_run))
    stopper = LMCallBudgetStopper(usage, max_lm_calls, console)
    selector = TracedComponentSelector(agent, names)
    gepa = dspy.GEPA(
        metric=metric,
        max_metric_calls=max_metric_calls,
        reflection_lm=reflection_lm,
        reflection_minibatch_size=minibatch_size,
        component_selector=selector,
        num_threads=num_threads,
        track_stats=True,
        log_dir=log_dir,
        seed=seed,
        warn_on_score_mismatch=False,
        gepa_kwargs={"stop_callbacks": [stopper]},
    )
    program = gepa.compile(agent, trainset=trainset, valset=valset)
    results = getattr(program, "detailed_results", None)
    if results is not None:
        # The stats hold every candidate program; the saved program must not carry them.
        del program.detailed_results
    scores = list(results.val_aggregate_scores) if results is not None else []
    budget = {
        "max_lm_calls": max_lm_calls,
        "max_metric_calls": max_metric_calls,
        "expected_lm_calls_per_run": round(per_run, 3),
        "predictors": names,
    }
    details = {
        "candidates": len(scores),
        "val_scores": scores,
        "metric_calls": results.total_metric_calls if results is not None else None,
    }
    return program, budget, (max(scores) if scores else None), stopper.stopped, details


def plan_mipro_trials(
    max_lm_calls: int, per_run: float, n_predictors: int, n_train: int, n_val: int, num_candidates: int
) -> tuple[int, dict[str, int]]:
    """(num_trials, estimated calls by stage) for MIPROv2 within the LM-call budget."""
    proposal = num_candidates * n_predictors
    bootstrap = math.ceil(num_candidates * n_train * per_run)
    per_trial = max(1, math.ceil(n_val * per_run))
    trials = max(1, (max_lm_calls - proposal - bootstrap) // per_trial)
    return trials, {"proposal": proposal, "bootstrap": bootstrap, "per_trial": per_trial}


def _run_mipro(
    agent,
    trainset,
    valset,
    metric,
    max_lm_calls,
    per_run,
    task_lm,
    prompt_lm,
    with_demos,
    max_demos,
    num_candidates,
    num_threads,
    seed,
    progress,
):
    trainset = trainset[:MIPRO_TRAIN_CAP]
    if valset is None:
        # MIPROv2's own default: the last 80 % of the train set validates.
        cut = max(1, len(trainset) - max(1, int(len(trainset) * 0.8)))
        trainset, valset = trainset[:cut], trainset[cut:]
    n_predictors = len(agent.predictors())
    trials, estimate = plan_mipro_trials(
        max_lm_calls, per_run, n_predictors, len(trainset), len(valset), num_candidates
    )
    demos = max_demos if with_demos else 0
    mipro = dspy.MIPROv2(
        metric=metric,
        prompt_model=prompt_lm,
        task_model=task_lm,
        auto=None,
        num_candidates=num_candidates,
        max_bootstrapped_demos=demos,
        max_labeled_demos=0,
        num_threads=num_threads,
        seed=seed,
        verbose=progress,
    )
    program = mipro.compile(
        agent,
        trainset=trainset,
        valset=valset,
        num_trials=trials,
        minibatch=False,
        # The data- and program-aware proposers summarise whole examples and the program's source:
        # prompts far beyond a small model's context, for little gain on one fixed signature.
        data_aware_proposer=False,
        program_aware_proposer=False,
    )
    budget = {
        "max_lm_calls": max_lm_calls,
        "num_candidates": num_candidates,
        "num_trials": trials,
        "with_demos": with_demos,
        "max_demos": demos,
        "expected_lm_calls_per_run": round(per_run, 3),
        "estimate": estimate,
    }
    # MIPROv2 reports its best validation score in percent (dspy.Evaluate's scale).
    score = getattr(program, "score", None)
    score = score / 100.0 if score is not None else None
    for attr in ("score", "candidate_programs", "trial_logs", "prompt_model_total_calls", "total_calls"):
        if hasattr(program, attr):
            delattr(program, attr)
    return program, budget, score, False, {"demos": {n: len(p.demos) for n, p in program.named_predictors()}}
