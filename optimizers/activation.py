"""Activation tuning with Optuna: which specialists run, and when, for the best score per token.

What a trial sets (``ActivationSpace`` bounds it, ``ActivationConfig`` holds one draw):
- the profile-level selection (``analysis.selection``): ``coverage_threshold`` and ``budget`` of the
  minimal cover, plus a per-specialist threshold ``t_s``: specialist ``s`` is also active when its
  stand-alone share of the failure mass (``profile.specialist_scores[s]``) reaches ``t_s``. So the
  active set is ``cover(coverage_threshold, budget) ∪ {s : score_s ≥ t_s}``: high thresholds give
  the pure minimal cover, budget 0 the pure per-specialist rule;
- per-turn activation: the gate of DCE / TSA / PLN ("always", "user_turn", "tool_result", see
  ``FamaAgent``) and TOR's minimum tool-output length;
- MEM's k and verify-and-revise on/off.

Which gates are searched and the specialists' settings with their ranges are not listed here: each
specialist declares them (``tune_gate``, ``tunables``) and the registry (``fama_dspy.specialists``)
collects them, so a new specialist's settings join the search space by themselves.

Objective on train data, from evaluation units run in a fixed order (one unit per task: its
decision points, or its solo episode): ``quality − cost_weight · tokens_per_item / token_scale``,
with quality the weighted mean of decision accuracy and solo pass rate. Tokens are estimated from
prompt and completion characters of every LM call, cache hits included (``usage.py``), so caching
never makes a configuration look cheaper. ``two_objective=True`` instead maximises quality and
minimises tokens per item, and the report lists the Pareto front (Optuna cannot prune
multi-objective trials, so nothing is pruned then).

Pruning: after each unit the trial reports the best objective it can still reach (its results so
far, perfect scores on the remaining units, and the tokens already spent); ``HopelessTrialPruner``
stops it once that bound cannot beat the best completed trial. The bound is exact, so a pruned
trial could never have won.

Persistence and reproducibility: the study lives in SQLite (``sqlite:///...``, ``load_if_exists``),
so a rerun with the same arguments resumes it. Before each trial the TPE sampler is re-seeded with
``seed + number of finished trials``: an interrupted-and-resumed study draws the same
configurations as an uninterrupted one. A trial that an interruption left RUNNING (the process
was killed) or FAILED is retried once with the same parameters. The study records its setup
(space, units, weights) and refuses to resume with a different one.

Several workers (``worker=0, 1, …``: processes on one machine, or machines sharing a database
such as ``postgresql://…``) can work on one study: the storage then keeps a heartbeat per running
trial, so only a trial whose worker stopped beating is failed (and retried once) — never another
worker's live one; each worker seeds its sampler apart and TPE runs with ``constant_liar`` so
concurrent workers do not draw the same configuration. Workers stop once the study has
``n_trials`` finished trials (each may finish the trial it is running, so a few more can finish).
Reproducibility trial-for-trial holds only for a single process.

Cache reuse: DSPy's response cache keys on the request, so a trial that only changes gating
re-sends many identical prompts (the specialists' prompts do not depend on which others run);
each trial records its LM calls, the calls that reached the model and the hit rate.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import dspy
import optuna
from fama_dspy.optimizers.dataset import examples_by_task
from fama_dspy.optimizers.evaluation import decision_scores, solo_episode_rewards
from fama_dspy.optimizers.metric import exact_metric
from fama_dspy.optimizers.program import copy_predictor_state
from fama_dspy.optimizers.usage import UsageReport, measure_lm_usage
from optuna.trial import TrialState

from fama_dspy.analysis.selection import prior_relation, select_specialists
from fama_dspy.analysis.taxonomy import CATEGORIES, SPECIALIST_CODES
from fama_dspy.errors import ConfigError
from fama_dspy.fama_agent import GATES, FamaAgent
from fama_dspy.specialists import REGISTRY, TUNABLES, Tunable, normalize_codes

SETUP_ATTR = "fama_setup"
RETRY_ATTR = "retry_of"
WORKER_ATTR = "worker"
#: Seconds between a running trial's heartbeats, and without one before it counts as dead.
HEARTBEAT_INTERVAL = 30
HEARTBEAT_GRACE = 120
#: Seed offset per worker, far beyond any study's trial count.
WORKER_SEED_STRIDE = 100_000
KINDS = ("decisions", "episodes")


# ----------------------------------------------------------------------------- the search space


def registry_settings() -> dict[str, tuple]:
    """Every specialist's tunable settings, name -> its declared ``(low, high)`` or choices."""
    return {t.name: t.bounds for tunables in TUNABLES.values() for t in tunables}


@dataclass(frozen=True)
class ActivationSpace:
    """Bounds of what a trial may set (see the module docstring).

    ``settings``: the specialists' tunables a trial draws, name -> bounds (default: all of them,
    with their declared bounds; one left out keeps its default). The name is the Optuna parameter.
    """

    specialists: tuple[str, ...] = SPECIALIST_CODES
    threshold: tuple[float, float] = (0.05, 1.0)
    coverage_threshold: tuple[float, float] = (0.5, 1.0)
    budget: tuple[int, int] = (0, 3)
    gated: tuple[str, ...] = REGISTRY.tuned_gates
    settings: dict[str, tuple] = field(default_factory=registry_settings)

    def __post_init__(self) -> None:
        for name in self.settings:
            REGISTRY.tunable(name)  # an unknown name fails here, not halfway through a study
            if name in {f.name for f in fields(self)}:
                raise ConfigError(f"Tunable {name!r} clashes with a field of the activation space.")

    def as_dict(self) -> dict[str, Any]:
        # Settings sit at the top level, as the fields they replaced did: a study compares this
        # record with the one it was started with, so existing studies still resume.
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "settings"}
        return json.loads(json.dumps({**data, **self.settings}))


DEFAULT_SPACE = ActivationSpace()


@dataclass
class ActivationConfig:
    """One draw of the space. ``settings``: the specialists' tunables by name (``FamaAgent`` keywords)."""

    coverage_threshold: float
    budget: int
    thresholds: dict[str, float]
    gates: dict[str, str]
    settings: dict[str, Any] = field(default_factory=dict)

    def specialists(self, profile: Any) -> list[str]:
        return activation_set(profile, self.coverage_threshold, self.budget, self.thresholds)

    def agent_settings(self, specialists: Sequence[str]) -> dict[str, Any]:
        """``FamaAgent`` keyword arguments for this configuration and active set."""
        active = list(normalize_codes(specialists))
        return {
            "specialists": active,
            **self.settings,
            "gates": {c: g for c, g in self.gates.items() if c in active},
        }

    def as_dict(self) -> dict[str, Any]:
        # Flat, as saved programs' metadata has always had it.
        data = asdict(self)
        settings = data.pop("settings")
        return {**data, **settings}


def suggest_setting(trial: optuna.Trial, tunable: Tunable, bounds: tuple) -> Any:
    """One specialist setting, drawn within ``bounds`` as its declared kind (and scale) says."""
    if tunable.kind == "choice":
        return trial.suggest_categorical(tunable.name, list(bounds))
    suggest = trial.suggest_int if tunable.kind == "int" else trial.suggest_float
    return suggest(tunable.name, *bounds, log=tunable.log)


def suggest_config(trial: optuna.Trial, space: ActivationSpace) -> ActivationConfig:
    thresholds = {s: trial.suggest_float(f"threshold_{s}", *space.threshold) for s in space.specialists}
    gates = {c: trial.suggest_categorical(f"gate_{c}", list(GATES)) for c in space.gated}
    coverage_threshold = trial.suggest_float("coverage_threshold", *space.coverage_threshold)
    budget = trial.suggest_int("budget", *space.budget)
    # The sampler's random stream is consumed in call order: settings are drawn in name order,
    # which is the order they were drawn in before the registry, so a seed draws what it always did.
    settings = {
        name: suggest_setting(trial, REGISTRY.tunable(name), bounds)
        for name, bounds in sorted(space.settings.items())
    }
    return ActivationConfig(coverage_threshold, budget, thresholds, gates, settings)


def config_from_params(params: dict[str, Any], space: ActivationSpace) -> ActivationConfig:
    """The configuration of a finished trial, from its parameters."""
    return suggest_config(optuna.trial.FixedTrial(params), space)


def _profile_field(profile: Any, name: str) -> dict:
    value = profile.get(name) if isinstance(profile, dict) else getattr(profile, name, None)
    return dict(value or {})


def activation_set(
    profile: Any, coverage_threshold: float, budget: int, thresholds: dict[str, float]
) -> list[str]:
    """``cover(coverage_threshold, budget) ∪ {s : specialist_scores[s] ≥ thresholds[s]}``, in pool order.

    ``profile`` is a ``FailureProfile`` or its dict; categories missing from its learned relation
    use the prior.
    """
    relation = prior_relation()
    for category, row in _profile_field(profile, "relation").items():
        if category in CATEGORIES:
            relation[category] = {**relation[category], **row}
    frequencies = _profile_field(profile, "category_frequencies")
    scores = _profile_field(profile, "specialist_scores")
    cover = (
        select_specialists(frequencies, relation, coverage_threshold, budget).subset if frequencies else []
    )
    by_threshold = [s for s, t in thresholds.items() if scores.get(s, 0.0) >= t]
    return list(normalize_codes([*cover, *by_threshold]))


# ----------------------------------------------------------------------------- evaluation units


@dataclass
class EvaluationUnit:
    """One step of a trial: e.g. one task's decision points or its solo episode.

    ``run(agent, workdir)`` returns per-item scores in [0, 1]; ``size`` items are expected.
    """

    name: str
    kind: str
    size: int
    run: Callable[[FamaAgent, Path], list[float]]

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError(f"Unknown unit kind {self.kind!r}; valid: {', '.join(KINDS)}.")
        if self.size < 1:
            raise ConfigError(f"Unit {self.name} has no items.")


def decision_units(
    examples: Sequence[dspy.Example], metric: Callable = exact_metric, num_threads: int = 1
) -> list[EvaluationUnit]:
    """One unit per task, scoring its decision points with ``metric``."""

    def runner(group: list[dspy.Example]):
        return lambda agent, workdir: decision_scores(agent, group, metric=metric, num_threads=num_threads)

    return [
        EvaluationUnit(f"decisions:{task}", "decisions", len(group), runner(group))
        for task, group in examples_by_task(examples).items()
    ]


def solo_episode_units(
    domain: str, task_ids: Sequence[str], *, split: str | None = None, trials: int = 1, max_steps: int = 30
) -> list[EvaluationUnit]:
    """One unit per task: its solo episode(s) through the harness, stored under the trial's workdir."""

    def runner(task_id: str):
        def run(agent, workdir: Path) -> list[float]:
            return solo_episode_rewards(
                agent,
                domain=domain,
                out=Path(workdir) / "episodes",
                config_name="trial",
                task_ids=[task_id],
                split=split,
                trials=trials,
                max_steps=max_steps,
            )

        return run

    return [EvaluationUnit(f"episode:{domain}/{t}", "episodes", trials, runner(t)) for t in task_ids]


# ----------------------------------------------------------------------------- objective


@dataclass(frozen=True)
class Objective:
    """How unit scores and tokens become the trial's value(s)."""

    decision_weight: float = 0.5
    episode_weight: float = 0.5
    cost_weight: float = 0.02
    token_scale: float = 1000.0
    two_objective: bool = False

    def weights(self, units: Sequence[EvaluationUnit]) -> dict[str, float]:
        present = {u.kind for u in units}
        raw = {
            "decisions": self.decision_weight if "decisions" in present else 0.0,
            "episodes": self.episode_weight if "episodes" in present else 0.0,
        }
        total = sum(raw.values())
        if total <= 0:
            raise ConfigError("The objective gives no weight to the units' kinds.")
        return {k: v / total for k, v in raw.items()}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Tally:
    """Running results of one trial over its units."""

    units: Sequence[EvaluationUnit]
    objective: Objective
    sums: dict[str, float] = field(default_factory=lambda: {k: 0.0 for k in KINDS})
    done: dict[str, int] = field(default_factory=lambda: {k: 0 for k in KINDS})

    def __post_init__(self) -> None:
        self.totals = {k: sum(u.size for u in self.units if u.kind == k) for k in KINDS}
        self.items = sum(self.totals.values())
        self.weights = self.objective.weights(self.units)

    def add(self, unit: EvaluationUnit, scores: Sequence[float]) -> None:
        # A unit that returned fewer items than declared scores the missing ones 0.
        self.sums[unit.kind] += sum(min(max(float(s), 0.0), 1.0) for s in list(scores)[: unit.size])
        self.done[unit.kind] += unit.size

    def rate(self, kind: str) -> float | None:
        return self.sums[kind] / self.totals[kind] if self.totals[kind] else None

    def quality(self) -> float:
        return sum(w * (self.rate(k) or 0.0) for k, w in self.weights.items())

    def tokens_per_item(self, tokens: int) -> float:
        return tokens / self.items

    def value(self, tokens: int) -> float:
        return (
            self.quality()
            - self.objective.cost_weight * self.tokens_per_item(tokens) / self.objective.token_scale
        )

    def upper_bound(self, tokens: int) -> float:
        """The best final value still reachable: perfect scores on what is left, no more tokens."""
        best = sum(
            w * (self.sums[k] + self.totals[k] - self.done[k]) / self.totals[k]
            for k, w in self.weights.items()
            if self.totals[k]
        )
        return best - self.objective.cost_weight * self.tokens_per_item(tokens) / self.objective.token_scale


class HopelessTrialPruner(optuna.pruners.BasePruner):
    """Prunes a trial whose reported upper bound can no longer beat the best completed trial.

    The objective reports, after each unit, the best value the trial can still reach, so pruning
    never discards a trial that could have won. ``min_completed``: completed trials needed first.
    """

    def __init__(self, min_completed: int = 1):
        self.min_completed = min_completed

    def prune(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
        step = trial.last_step
        if step is None:
            return False
        completed = [
            t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)) if t.value is not None
        ]
        if len(completed) < self.min_completed:
            return False
        best = max(t.value for t in completed)
        return trial.intermediate_values[step] <= best


DEFAULT_OBJECTIVE = Objective()

# ----------------------------------------------------------------------------- the study


AgentFactory = Callable[[ActivationConfig, list[str]], FamaAgent]


def default_agent_factory(
    base: str = "react", instructions_from: FamaAgent | None = None, **agent_kw
) -> AgentFactory:
    """Builds the trial's ``FamaAgent``; with ``instructions_from`` (a compiled program) its tuned
    predictor states are copied into the predictors the trial's agent shares with it."""

    def make(config: ActivationConfig, specialists: list[str]) -> FamaAgent:
        agent = FamaAgent(base=base, **config.agent_settings(specialists), **agent_kw)
        if instructions_from is not None:
            copy_predictor_state(instructions_from, agent)
        return agent

    return make


def storage_url(storage: Path | str) -> str:
    text = str(storage)
    return text if "://" in text else f"sqlite:///{Path(text).resolve()}"


def study_storage(url: str, shared: bool) -> str | optuna.storages.RDBStorage:
    """The study's storage: the URL itself for one process; with several workers, a storage that
    keeps a heartbeat per running trial (and, on SQLite, waits for the file lock instead of failing)."""
    if not shared:
        return url
    import sqlalchemy.exc

    engine_kwargs = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}

    def open_storage() -> optuna.storages.RDBStorage:
        return optuna.storages.RDBStorage(
            url,
            heartbeat_interval=HEARTBEAT_INTERVAL,
            grace_period=HEARTBEAT_GRACE,
            engine_kwargs=engine_kwargs,
        )

    for attempt in range(4):
        try:
            return open_storage()
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.OperationalError):
            # Workers started together race to create a new database's schema; the loser finds
            # it created on the next attempt.
            time.sleep(0.5 * (attempt + 1))
    return open_storage()


def _finished(study: optuna.Study) -> int:
    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)))


def recover_interrupted(study: optuna.Study, running_are_dead: bool = True) -> list[int]:
    """Fail trials left RUNNING by a killed process and re-enqueue every failed trial once.

    ``running_are_dead``: one process works on the study, so a RUNNING trial at start-up is a dead
    one. With several workers it is False: the storage's heartbeat fails dead workers' trials.
    Returns the numbers of the trials re-enqueued.
    """
    if running_are_dead:
        for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            study.tell(t.number, state=TrialState.FAIL)
    trials = study.get_trials(deepcopy=False)
    retried = {t.user_attrs.get(RETRY_ATTR) for t in trials}
    waiting = {json.dumps(t.params, sort_keys=True) for t in trials if t.state == TrialState.WAITING}
    enqueued = []
    for t in trials:
        if t.state != TrialState.FAIL or t.number in retried or RETRY_ATTR in t.user_attrs or not t.params:
            continue
        if json.dumps(t.params, sort_keys=True) in waiting:
            continue
        study.enqueue_trial(t.params, user_attrs={RETRY_ATTR: t.number})
        enqueued.append(t.number)
    return enqueued


@dataclass
class ActivationStudyReport:
    study_name: str
    storage: str
    two_objective: bool
    n_complete: int
    n_pruned: int
    n_failed: int
    best: list[dict[str, Any]]
    usage: dict[str, Any]
    space: dict[str, Any]

    @property
    def best_params(self) -> dict[str, Any] | None:
        return self.best[0]["params"] if self.best else None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _trial_summary(t: optuna.trial.FrozenTrial) -> dict[str, Any]:
    return {
        "number": t.number,
        "values": t.values,
        "params": t.params,
        **{
            k: t.user_attrs.get(k)
            for k in (
                "specialists",
                "quality",
                "decision_accuracy",
                "episode_pass_rate",
                "tokens_per_item",
                "usage",
            )
        },
    }


def study_report(study: optuna.Study, space: ActivationSpace, two_objective: bool) -> ActivationStudyReport:
    """Counts, best trial (or Pareto front) and LM usage totals of a study."""
    trials = study.get_trials(deepcopy=False)
    counts = {
        s: sum(1 for t in trials if t.state == s)
        for s in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
    }
    total = UsageReport()
    for t in trials:
        u = t.user_attrs.get("usage") or {}
        total.add(
            UsageReport(
                u.get("calls", 0), u.get("served", 0), u.get("prompt_chars", 0), u.get("completion_chars", 0)
            )
        )
    best: list[optuna.trial.FrozenTrial] = []
    if counts[TrialState.COMPLETE]:
        best = sorted(study.best_trials, key=lambda t: t.number) if two_objective else [study.best_trial]
    return ActivationStudyReport(
        study_name=study.study_name,
        storage="",
        two_objective=two_objective,
        n_complete=counts[TrialState.COMPLETE],
        n_pruned=counts[TrialState.PRUNED],
        n_failed=counts[TrialState.FAIL],
        best=[_trial_summary(t) for t in best],
        usage=total.as_dict(),
        space=space.as_dict(),
    )


def _profile_digest(profile: Any) -> str:
    data = profile.model_dump(mode="json") if hasattr(profile, "model_dump") else dict(profile)
    data.pop("created_at", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:12]


def tune_activation(
    profile: Any,
    units: Sequence[EvaluationUnit],
    *,
    storage: Path | str,
    study_name: str = "activation",
    n_trials: int = 20,
    seed: int = 0,
    space: ActivationSpace = DEFAULT_SPACE,
    objective: Objective = DEFAULT_OBJECTIVE,
    agent_factory: AgentFactory | None = None,
    pruner: optuna.pruners.BasePruner | None = None,
    n_startup_trials: int = 5,
    workdir: Path | str | None = None,
    progress: bool = True,
    worker: int | None = None,
) -> ActivationStudyReport:
    """Run (or resume) the study until ``n_trials`` trials have finished (completed or pruned).

    ``storage``: a SQLite file path or an Optuna storage URL. ``workdir``: where trials keep
    episode records (default: ``<storage dir>/<study_name>-runs``). Re-raises a trial's exception
    after Optuna has recorded it as failed; the next call retries that trial once. ``worker``:
    this process's index when several work on the study (module docstring); None: the only one.
    """
    if worker is not None and worker < 0:
        raise ConfigError(f"worker must be 0 or more, got {worker}")
    if not units:
        raise ConfigError("No evaluation units: give decision points and/or solo episodes of train tasks.")
    names = [u.name for u in units]
    if len(set(names)) != len(names):
        raise ConfigError("Evaluation unit names must be unique (they are the pruning steps).")
    objective.weights(units)
    url = storage_url(storage)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    root = (
        Path(workdir)
        if workdir is not None
        else (Path(url.removeprefix("sqlite:///")).parent if url.startswith("sqlite:///") else Path("."))
        / f"{study_name}-runs"
    )
    factory = agent_factory or default_agent_factory()
    directions = ["maximize", "minimize"] if objective.two_objective else ["maximize"]
    setup = {
        "space": space.as_dict(),
        "units": names,
        "objective": objective.as_dict(),
        "profile": _profile_digest(profile),
    }
    verbosity = optuna.logging.get_verbosity()
    if not progress:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        return _run_study(
            profile,
            units,
            url,
            study_name,
            n_trials,
            seed,
            space,
            objective,
            factory,
            pruner,
            n_startup_trials,
            root,
            directions,
            setup,
            worker,
        )
    finally:
        optuna.logging.set_verbosity(verbosity)


def _run_study(
    profile,
    units,
    url,
    study_name,
    n_trials,
    seed,
    space,
    objective,
    factory,
    pruner,
    n_startup_trials,
    root,
    directions,
    setup,
    worker,
) -> ActivationStudyReport:
    shared = worker is not None

    def sampler() -> optuna.samplers.TPESampler:
        # Re-seeded per finished trial, so a resumed study draws what an uninterrupted one would.
        offset = _finished(study) + (WORKER_SEED_STRIDE * worker if shared else 0)
        return optuna.samplers.TPESampler(
            seed=seed + offset, n_startup_trials=n_startup_trials, constant_liar=shared
        )

    try:
        study = optuna.create_study(
            study_name=study_name,
            storage=study_storage(url, shared),
            load_if_exists=True,
            directions=directions,
            sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=n_startup_trials),
            pruner=pruner or HopelessTrialPruner(),
        )
    except ValueError as exc:
        raise ConfigError(f"Cannot open study {study_name!r} in {url}: {exc}") from None
    saved = study.user_attrs.get(SETUP_ATTR)
    if saved is None:
        study.set_user_attr(SETUP_ATTR, setup)
    elif saved != json.loads(json.dumps(setup)):
        raise ConfigError(
            f"Study {study_name!r} in {url} was started with another setup (space, units, objective or profile); "
            "use a new study name or storage."
        )
    if not shared:  # shared studies recover before every trial (below)
        recover_interrupted(study)

    def run_trial(trial: optuna.Trial):
        if shared:
            trial.set_user_attr(WORKER_ATTR, worker)
        config = suggest_config(trial, space)
        specialists = config.specialists(profile)
        trial.set_user_attr("specialists", specialists)
        agent = factory(config, specialists)
        tally = Tally(units, objective)
        pruned = False
        with measure_lm_usage() as usage:
            for step, unit in enumerate(units):
                tally.add(unit, unit.run(agent, root / f"trial-{trial.number}"))
                # After the last unit the value is known: the trial completes rather than being pruned.
                if not objective.two_objective and step < len(units) - 1:
                    trial.report(tally.upper_bound(usage.est_tokens), step)
                    if trial.should_prune():
                        pruned = True
                        break
        # Rates are over all items of the kind: a pruned trial's unevaluated items count as 0.
        trial.set_user_attr("usage", usage.as_dict())
        trial.set_user_attr("decision_accuracy", tally.rate("decisions"))
        trial.set_user_attr("episode_pass_rate", tally.rate("episodes"))
        trial.set_user_attr("quality", tally.quality())
        trial.set_user_attr("tokens_per_item", tally.tokens_per_item(usage.est_tokens))
        if pruned:
            raise optuna.TrialPruned()
        if objective.two_objective:
            return tally.quality(), tally.tokens_per_item(usage.est_tokens)
        return tally.value(usage.est_tokens)

    while _finished(study) < n_trials:
        study.sampler = sampler()
        if shared:  # trials of workers that stopped beating were failed by the storage: retry them
            recover_interrupted(study, running_are_dead=False)
        study.optimize(run_trial, n_trials=1, gc_after_trial=False, show_progress_bar=False)
    report = study_report(study, space, objective.two_objective)
    report.storage = url
    return report


def best_config(report: ActivationStudyReport, space: ActivationSpace = DEFAULT_SPACE) -> ActivationConfig:
    """The configuration of the best trial (the first of the Pareto front in two-objective mode)."""
    if not report.best:
        raise ConfigError(f"Study {report.study_name!r} has no completed trial yet.")
    return config_from_params(report.best[0]["params"], space)
