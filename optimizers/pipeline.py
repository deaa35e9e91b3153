"""The two tuning runs the CLI exposes (``fama compile``, ``fama tune``), as plain functions.

``compile_program``: decision dataset of the train split → split by task into tuning-train,
tuning-validation and held-out → instruction tuning (GEPA or MIPROv2) → acceptance check on the
held-out points and on solo episodes → save the kept program (tuned, or untuned when the check
rejects the tuned one) with the whole record in ``data/compiled/``.

``tune_program_activation``: the Optuna activation study over the profile's selection thresholds,
per-turn gates, memory k and verify-and-revise, on train decision points and solo episodes; the
best configuration is saved as a program, with a tuned program's instructions if one is given.

Both refuse splits with test tasks unless ``allow_test_split`` (``dataset.guard_split``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dspy
from fama_dspy.optimizers.acceptance import AcceptanceReport, check_acceptance
from fama_dspy.optimizers.activation import (
    DEFAULT_OBJECTIVE,
    DEFAULT_SPACE,
    ActivationStudyReport,
    best_config,
    decision_units,
    default_agent_factory,
    solo_episode_units,
    tune_activation,
)
from fama_dspy.optimizers.dataset import (
    guard_split,
    load_or_build,
    split_by_task,
    to_examples,
)
from fama_dspy.optimizers.evaluation import decision_scorer, solo_episode_scorer
from fama_dspy.optimizers.instructions import InstructionTuning, tune_instructions
from fama_dspy.optimizers.program import default_program_path, load_program, save_program
from fama_dspy.optimizers.settings import (
    CompileSettings,
    ProgramOutput,
    SoloEpisodes,
    TrainingData,
    TuneSettings,
)
from rich.console import Console

from fama_dspy.errors import ConfigError
from fama_dspy.fama_agent import FamaAgent

SOLO_DOMAINS = ("telecom", "mock")
#: ``fama compile --optimizer`` values; several joined by ``+`` run in order, each on the previous result.
COMPILE_OPTIMIZERS = ("demos", "knn", "instructions", "gepa", "mipro")


@dataclass
class CompileResult:
    path: Path
    kept: str  # "tuned" or "untuned"
    tuning: InstructionTuning
    acceptance: AcceptanceReport


def _load_profile(profile: Any) -> Any:
    if profile is None or not isinstance(profile, (str, Path)):
        return profile
    from fama_dspy.analysis.profile import FailureProfile

    return FailureProfile.load(profile)


def _solo_settings(
    domain: str, split: str, solo_domain: str | None, solo_split: str | None
) -> tuple[str | None, str | None]:
    """The domain and split of the solo episodes: the tuning domain when it has a solo mode."""
    if solo_domain is None:
        solo_domain = domain if domain in SOLO_DOMAINS else None
    if solo_domain is not None and solo_domain not in SOLO_DOMAINS:
        raise ConfigError(f"{solo_domain} has no solo mode; solo episodes run on: {', '.join(SOLO_DOMAINS)}.")
    if solo_domain is not None and solo_split is None:
        solo_split = split if solo_domain == domain else "train"
    return solo_domain, solo_split


def compile_program(
    agent: FamaAgent,
    lm: dspy.LM,
    data: TrainingData,
    settings: CompileSettings | None = None,
    *,
    solo: SoloEpisodes | None = None,
    output: ProgramOutput | None = None,
    reflection_lm: dspy.LM | None = None,
    model_spec: str = "",
    profile: Any = None,
    progress: bool = True,
    console: Console | None = None,
) -> CompileResult:
    """Tune ``agent`` on ``data``'s train decision points, check, and save the kept program.

    ``lm``: the task model; ``reflection_lm``: GEPA's reflection / MIPROv2's proposal model (default
    ``lm``); ``model_spec`` is recorded as the model the program was tuned for. ``solo``'s episodes
    (default: the training domain's, if it has a solo mode) join the acceptance check. The program
    goes to ``output.out`` (default ``data/compiled/<name>.json``).
    """
    settings = settings or CompileSettings()
    solo = solo or SoloEpisodes()
    output = output or ProgramOutput()
    domain, split, allow_test_split = data.domain, data.split, data.allow_test_split
    task_ids, num_tasks, solo_decisions, seed = data.task_ids, data.num_tasks, data.solo_decisions, data.seed
    optimizer, max_lm_calls, with_demos = settings.optimizer, settings.max_lm_calls, settings.with_demos
    num_demos, demo_sets, instruction_trials = (
        settings.num_demos,
        settings.demo_sets,
        settings.instruction_trials,
    )
    gepa_log_dir, tolerance, num_threads = settings.gepa_log_dir, settings.tolerance, settings.num_threads
    solo_domain, solo_split, solo_task_ids = solo.domain, solo.split, solo.task_ids
    solo_num_tasks, solo_trials, solo_max_steps = solo.num_tasks, solo.trials, solo.max_steps
    out, name, runs_dir = output.out, output.name, output.runs_dir
    console = console or Console(stderr=True)
    guard_split(split, allow_test_split, domain=domain, benchmark=data.benchmark)
    steps = optimizer_chain(optimizer)
    solo_domain, solo_split = _solo_settings(domain, split, solo_domain, solo_split)
    if solo_domain is not None:
        guard_split(solo_split, allow_test_split, domain=solo_domain)
    profile = _load_profile(profile)
    ds = load_or_build(
        domain,
        split,
        task_ids=task_ids,
        num_tasks=num_tasks,
        solo=solo_decisions,
        allow_test_split=allow_test_split,
        root=data.dataset_root,
        benchmark=data.benchmark,
    )
    examples = to_examples(ds)
    tuning_examples, held_out = split_by_task(examples, data.held_out_fraction, seed=seed)
    trainset, valset = split_by_task(tuning_examples, data.val_fraction, seed=seed + 1)
    if not held_out or not trainset:
        raise ConfigError(
            f"{len(examples)} decision points from too few tasks to split into tuning and held-out sets; use more tasks."
        )
    if progress:
        console.print(
            f"{domain}/{split}: {len(examples)} decision points → {len(trainset)} train, "
            f"{len(valset)} validation, {len(held_out)} held-out (split by task)."
        )
    name = name or f"{domain}-{optimizer}-{'-'.join(agent.active_specialists) or agent.base}"
    path = Path(out) if out is not None else default_program_path(name)
    with dspy.context(lm=lm):
        student, tunings = agent, []
        for step in steps:
            if step == "instructions":
                step_tuning = _tune_instruction_lines(
                    student,
                    trainset,
                    valset,
                    profile=profile,
                    n_trials=instruction_trials,
                    seed=seed,
                    storage=Path(runs_dir) / "compile" / name / "instructions.db",
                    num_threads=num_threads,
                )
            elif step == "knn":
                step_tuning = _tune_knn(
                    student,
                    trainset,
                    valset,
                    seed=seed,
                    num_threads=num_threads,
                    console=console if progress else None,
                )
            elif step == "demos":
                step_tuning = _tune_demos(
                    student,
                    trainset,
                    valset,
                    num_demos=num_demos,
                    demo_sets=demo_sets,
                    seed=seed,
                    num_threads=num_threads,
                    console=console if progress else None,
                )
            else:
                step_tuning = tune_instructions(
                    student,
                    trainset,
                    valset or None,
                    optimizer=step,
                    max_lm_calls=max_lm_calls,
                    task_lm=lm,
                    reflection_lm=reflection_lm,
                    with_demos=with_demos,
                    num_threads=num_threads,
                    seed=seed,
                    log_dir=str(gepa_log_dir) if gepa_log_dir is not None else None,
                    progress=progress,
                    console=console,
                )
            tunings.append(step_tuning)
            student = step_tuning.program
        tuning = _chained(tunings, agent)
        score_episodes = None
        if solo_domain is not None:
            score_episodes = solo_episode_scorer(
                domain=solo_domain,
                out=Path(runs_dir) / "compile" / name / "episodes",
                name=name,
                task_ids=solo_task_ids,
                split=solo_split,
                num_tasks=solo_num_tasks,
                trials=solo_trials,
                max_steps=solo_max_steps,
                progress=progress,
            )
        report = check_acceptance(
            agent,
            tuning.program,
            decision_scorer(
                held_out,
                num_threads=num_threads,
                console=console if progress else None,
                label="held-out check (untuned, then tuned)",
            ),
            score_episodes,
            tolerance=tolerance,
        )
    # A program the optimizer did not change is the untuned one, whatever the acceptance check said.
    kept_agent, kept = (tuning.program, "tuned") if report.accepted and tuning.changed else (agent, "untuned")
    if progress:
        why = "" if tuning.changed else " (the optimizer changed no instruction)"
        console.print("; ".join(report.reasons) + f" → keeping the {kept} program{why}")
    metadata = {
        "kept": kept,
        "tuning": tuning.record(),
        "acceptance": report.as_dict(),
        "data": {
            "domain": domain,
            "split": split,
            "points": len(examples),
            "train": len(trainset),
            "validation": len(valset),
            "held_out": len(held_out),
            "seed": seed,
            "solo_decisions": solo_decisions,
            "solo_domain": solo_domain,
            "solo_split": solo_split,
        },
    }
    saved = save_program(kept_agent, path, metadata, profile=profile, model=model_spec or _lm_name(lm))
    if progress:
        console.print(f"Saved {kept} program to {saved}")
    return CompileResult(saved, kept, tuning, report)


def _tune_demos(
    agent, trainset, valset, *, num_demos, demo_sets, seed, num_threads, console
) -> InstructionTuning:
    """The ``demos`` optimizer (``optimizers.demos``) in the record shape the other optimizers use.

    One candidate set (``demo_sets=1``) is LabeledFewShot: the seeded set from the tuning-train
    points, with no validation search (no LM call); the held-out acceptance check still decides.
    """
    from fama_dspy.optimizers.demos import labeled_demos, select_demos
    from fama_dspy.optimizers.program import instructions
    from fama_dspy.optimizers.usage import measure_lm_usage

    before = instructions(agent)
    with measure_lm_usage() as usage:
        if demo_sets <= 1:
            selection = labeled_demos(agent, [*trainset, *valset], k=num_demos, seed=seed)
        else:
            selection = select_demos(
                agent,
                trainset,
                valset,
                k=num_demos,
                n_sets=demo_sets,
                seed=seed,
                num_threads=num_threads,
                progress=console.print if console else None,
            )
    best = max((c["val_exact"] for c in selection.scores), default=None)
    names = [n for n, p in selection.program.named_predictors() if p.demos]
    return InstructionTuning(
        program=selection.program,
        optimizer="demos",
        budget={"candidate_sets": demo_sets, "k": num_demos},
        usage=usage.as_dict(),
        instructions_before=before,
        instructions_after=instructions(selection.program),
        val_score=best,
        details=selection.record(),
        changed_demos=names,
    )


def optimizer_chain(optimizer: str) -> list[str]:
    """``"instructions+demos"`` → ["instructions", "demos"], every name checked."""
    steps = [o.strip() for o in optimizer.split("+") if o.strip()]
    unknown = sorted(set(steps) - set(COMPILE_OPTIMIZERS))
    if unknown or not steps:
        raise ConfigError(
            f"unknown optimizer(s) {', '.join(unknown) or '(none)'}; use one of {', '.join(COMPILE_OPTIMIZERS)}, "
            "or a chain such as instructions+demos"
        )
    return steps


def _chained(tunings: list[InstructionTuning], agent: FamaAgent) -> InstructionTuning:
    """One record for a chain of optimizers: the last program, every step's changes and details."""
    if len(tunings) == 1:
        return tunings[0]
    from fama_dspy.optimizers.program import instructions

    last = tunings[-1]
    changed_demos = list(dict.fromkeys(n for t in tunings for n in t.changed_demos))
    return InstructionTuning(
        program=last.program,
        optimizer="+".join(t.optimizer for t in tunings),
        budget=last.budget,
        usage=last.usage,
        instructions_before=instructions(agent),
        instructions_after=instructions(last.program),
        val_score=last.val_score,
        details={"chain": [t.record() for t in tunings]},
        changed_demos=changed_demos,
    )


def _tune_instruction_lines(agent, trainset, valset, *, profile, n_trials, seed, storage, num_threads):
    """The ``instructions`` optimizer (``optimizers.instruction_bank``) in the shared record shape."""
    from fama_dspy.optimizers.instruction_bank import (
        candidate_lines,
        mine_from_answers,
        tune_instruction_lines,
    )
    from fama_dspy.optimizers.program import instructions
    from fama_dspy.optimizers.usage import measure_lm_usage

    counts = dict(getattr(profile, "category_counts", {}) or {})
    categories = [c for c, n in counts.items() if n] or ["IFU", "CM", "DPV", "WRCO"]
    before = instructions(agent)
    with measure_lm_usage() as usage:
        mined = mine_from_answers(agent, trainset, num_threads=num_threads)
        lines = candidate_lines(agent, categories, mined)
        program, record = tune_instruction_lines(
            agent, valset, lines, storage=storage, n_trials=n_trials, seed=seed, num_threads=num_threads
        )
    return InstructionTuning(
        program=program,
        optimizer="instructions",
        budget={"trials": n_trials},
        usage=usage.as_dict(),
        instructions_before=before,
        instructions_after=instructions(program),
        val_score=record["val_exact"],
        details={**record, "categories": categories, "mined_lines": mined},
    )


def _tune_knn(agent, trainset, valset, *, seed, num_threads, console) -> InstructionTuning:
    """The ``knn`` optimizer (``optimizers.demos.select_knn``) in the shared record shape."""
    from fama_dspy.optimizers.demos import select_knn
    from fama_dspy.optimizers.program import instructions
    from fama_dspy.optimizers.usage import measure_lm_usage

    before = instructions(agent)
    with measure_lm_usage() as usage:
        program, scores = select_knn(
            agent,
            trainset,
            valset,
            seed=seed,
            num_threads=num_threads,
            progress=console.print if console else None,
        )
    pool = program.agent.demo_pool
    return InstructionTuning(
        program=program,
        optimizer="knn",
        budget={"ks": [s["k"] for s in scores]},
        usage=usage.as_dict(),
        instructions_before=before,
        instructions_after=instructions(program),
        val_score=max(s["val_exact"] for s in scores),
        details={"k": pool.k, "pool_size": len(pool.entries), "candidates": scores},
        changed_demos=["agent.decide", "agent.decide_solo"],
    )


def _lm_name(lm: dspy.LM) -> str:
    route = getattr(lm, "fama_route", None)
    return getattr(route, "spec", None) or getattr(lm, "model", "") or ""


def tune_program_activation(
    profile: Any,
    lm: dspy.LM,
    data: TrainingData,
    settings: TuneSettings | None = None,
    *,
    solo: SoloEpisodes | None = None,
    output: ProgramOutput | None = None,
    program: Path | str | FamaAgent | None = None,
    model_spec: str = "",
    progress: bool = True,
    console: Console | None = None,
) -> tuple[ActivationStudyReport, Path]:
    """Run (or resume) the activation study on ``data``'s train points and save the best configuration.

    ``profile``: a ``FailureProfile`` or its path. ``program``: a compiled program (path or agent)
    whose tuned instructions the trial agents reuse. ``settings.storage`` defaults to
    ``<runs_dir>/tune/<study_name>.db``. Returns the study report and the saved program's path.
    """
    settings = settings or TuneSettings()
    solo = solo or SoloEpisodes()
    output = output or ProgramOutput()
    domain, split, allow_test_split = data.domain, data.split, data.allow_test_split
    task_ids, num_tasks, solo_decisions = data.task_ids, data.num_tasks, data.solo_decisions
    base, decoding, id_policy = settings.base, settings.decoding, settings.id_policy
    n_trials, seed, storage, study_name = (
        settings.n_trials,
        settings.seed,
        settings.storage,
        settings.study_name,
    )
    space = settings.space if settings.space is not None else DEFAULT_SPACE
    objective = settings.objective if settings.objective is not None else DEFAULT_OBJECTIVE
    num_threads = settings.num_threads
    solo_domain, solo_split, solo_task_ids = solo.domain, solo.split, solo.task_ids
    solo_num_tasks, solo_trials, solo_max_steps = solo.num_tasks, solo.trials, solo.max_steps
    out, runs_dir = output.out, output.runs_dir
    console = console or Console(stderr=True)
    guard_split(split, allow_test_split, domain=domain, benchmark=data.benchmark)
    solo_domain, solo_split = _solo_settings(domain, split, solo_domain, solo_split)
    if solo_domain is not None:
        guard_split(solo_split, allow_test_split, domain=solo_domain)
    profile = _load_profile(profile)
    if profile is None:
        raise ConfigError("Activation tuning needs the failure profile (run the failure analysis first).")
    tuned = load_program(program) if isinstance(program, (str, Path)) else program
    if tuned is not None:
        base = tuned.base
    ds = load_or_build(
        domain,
        split,
        task_ids=task_ids,
        num_tasks=num_tasks,
        solo=solo_decisions,
        allow_test_split=allow_test_split,
        root=data.dataset_root,
        benchmark=data.benchmark,
    )
    units = decision_units(to_examples(ds), num_threads=num_threads)
    if solo_domain is not None:
        from fama_dspy.benchmarks import get_benchmark

        solo_ids = (
            list(solo_task_ids)
            if solo_task_ids is not None
            else get_benchmark().task_ids(solo_domain, solo_split, num_tasks=solo_num_tasks, solo=True)
        )
        units += solo_episode_units(
            solo_domain, solo_ids, split=solo_split, trials=solo_trials, max_steps=solo_max_steps
        )
    study_name = study_name or f"{domain}-{base}-activation"
    storage = storage or Path(runs_dir) / "tune" / f"{study_name}.db"
    decoding_kw = {k: v for k, v in (("decoding", decoding), ("id_policy", id_policy)) if v}
    factory = default_agent_factory(base=base, instructions_from=tuned, **decoding_kw)
    with dspy.context(lm=lm):
        report = tune_activation(
            profile,
            units,
            storage=storage,
            study_name=study_name,
            n_trials=n_trials,
            seed=seed,
            space=space,
            objective=objective,
            agent_factory=factory,
            workdir=Path(runs_dir) / "tune" / f"{study_name}-runs",
            progress=progress,
            worker=settings.worker,
        )
    config = best_config(report, space)
    specialists = config.specialists(profile)
    best = factory(config, specialists)
    metadata = {
        "activation": {"study": report.as_dict(), "config": config.as_dict()},
        "data": {
            "domain": domain,
            "split": split,
            "units": len(units),
            "solo_domain": solo_domain,
            "solo_split": solo_split,
        },
    }
    if tuned is not None and "tuning" in tuned.program_info:
        metadata["tuning"] = tuned.program_info["tuning"]
    path = Path(out) if out is not None else default_program_path(study_name)
    saved = save_program(best, path, metadata, profile=profile, model=model_spec or _lm_name(lm))
    if progress:
        usage = report.usage
        rate = "-" if usage.get("hit_rate") is None else f"{usage['hit_rate']:.1%}"
        console.print(
            f"Study {report.study_name}: {report.n_complete} complete, {report.n_pruned} pruned, {report.n_failed} failed; "
            f"LM calls {usage.get('calls')}, served {usage.get('served')}, cache hit rate {rate}. "
            f"Best: {', '.join(specialists) or 'no specialist'} → {saved}"
        )
    return report, saved
