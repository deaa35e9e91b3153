import dspy
import optuna
import pytest
from dspy.clients.cache import Cache
from fama_dspy.optimizers.activation import (
    DEFAULT_SPACE,
    RETRY_ATTR,
    WORKER_ATTR,
    ActivationSpace,
    EvaluationUnit,
    HopelessTrialPruner,
    Objective,
    activation_set,
    best_config,
    decision_units,
    solo_episode_units,
    suggest_config,
    tune_activation,
)
from fama_dspy.optimizers.usage import measure_lm_usage
from opt_helpers import MAGIC, cancel_request, policy_agent, rule_lm
from optuna.trial import TrialState
from scripted_lm import json_reply

from fama_dspy.errors import ConfigError
from fama_dspy.fama_agent import FamaAgent

#: DPV only: DCE covers it (prior), and DCE's stand-alone score is 0.5.
PROFILE = {
    "category_frequencies": {"DPV": 1.0},
    "relation": {},
    "specialist_scores": {"dce": 0.5, "mem": 0.2},
}
SPACE = ActivationSpace(specialists=("dce", "tsa", "mem"), budget=(0, 1), gated=("dce", "tsa"))
EXAMPLES = [cancel_request(i) for i in range(1, 5)]


def checklist_agent(role, system, text):
    """The agent follows the rule when DCE's checklist (in its prompt) or its instructions carry it."""
    if role == "dce":
        return json_reply(rules=[f"{MAGIC}: look an order up before changing it"])
    if role == "agent" and MAGIC in text:
        return policy_agent(role, MAGIC, text)
    return policy_agent(role, system, text)


@pytest.fixture
def fresh_cache(monkeypatch):
    """An empty in-memory response cache, so cache hits in a test come from that test only."""
    monkeypatch.setattr(
        dspy, "cache", Cache(enable_disk_cache=False, enable_memory_cache=True, disk_cache_dir=None)
    )


def study(tmp_path, n_trials, lm, name="s", units=None, **kw):
    with dspy.context(lm=lm):
        return tune_activation(
            PROFILE,
            units if units is not None else decision_units(EXAMPLES),
            storage=tmp_path / "study.db",
            study_name=name,
            n_trials=n_trials,
            seed=7,
            space=SPACE,
            n_startup_trials=2,
            progress=False,
            **kw,
        )


def finished_params(tmp_path, name="s"):
    s = optuna.load_study(study_name=name, storage=f"sqlite:///{tmp_path / 'study.db'}")
    done = [t for t in s.get_trials() if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    return [t.params for t in sorted(done, key=lambda t: t.number)]


def test_the_active_set_is_the_cover_plus_the_threshold_rule():
    assert activation_set(PROFILE, 0.8, 1, {"dce": 0.9, "mem": 0.9}) == ["dce"]  # the cover
    assert activation_set(PROFILE, 0.8, 0, {"dce": 0.9, "mem": 0.9}) == []
    assert activation_set(PROFILE, 0.8, 0, {"dce": 0.5, "mem": 0.1}) == ["dce", "mem"]  # thresholds alone
    assert activation_set({}, 0.8, 2, {"dce": 0.1}) == []  # no failures, no scores: nothing to activate
    config = suggest_config(
        optuna.trial.FixedTrial(
            {
                "threshold_dce": 0.9,
                "threshold_tsa": 0.9,
                "threshold_mem": 0.1,
                "gate_dce": "user_turn",
                "gate_tsa": "always",
                "coverage_threshold": 0.8,
                "budget": 1,
                "memory_k": 2,
                "tor_min_chars": 500,
                "verify_and_revise": False,
            }
        ),
        SPACE,
    )
    settings = config.agent_settings(config.specialists(PROFILE))
    assert settings == {
        "specialists": ["dce", "mem"],
        "memory_k": 2,
        "tor_min_chars": 500,
        "gates": {"dce": "user_turn"},
        "verify_and_revise": False,
    }
    FamaAgent(**settings)


def test_a_resumed_study_draws_what_an_uninterrupted_one_draws(tmp_path):
    lm, _ = rule_lm(checklist_agent)
    whole = tmp_path / "whole"
    study(whole, 5, lm)
    parts = tmp_path / "parts"
    study(parts, 2, lm)
    report = study(parts, 5, lm)  # a new call on the same storage continues the study
    assert finished_params(parts) == finished_params(whole) and len(finished_params(whole)) == 5
    assert report.n_complete + report.n_pruned == 5
    # Both kinds of configuration were drawn, and the best one keeps DCE, which fixes the decisions.
    best = best_config(report, SPACE)
    assert "dce" in best.specialists(PROFILE)
    assert report.best[0]["decision_accuracy"] == 1.0


def test_an_interrupted_trial_is_rerun_with_its_parameters(tmp_path):
    lm, _ = rule_lm(checklist_agent)
    study(tmp_path / "ref", 4, lm)
    calls = {"n": 0}

    def flaky(agent, workdir):
        calls["n"] += 1
        if calls["n"] == 3:  # the third trial is interrupted
            raise KeyboardInterrupt
        return [1.0]

    units = [EvaluationUnit("flaky", "decisions", 1, flaky), *decision_units(EXAMPLES[:3])]
    with pytest.raises(KeyboardInterrupt):
        study(tmp_path / "cut", 4, lm, units=units)
    study(tmp_path / "cut", 4, lm, units=units)
    s = optuna.load_study(study_name="s", storage=f"sqlite:///{tmp_path / 'cut' / 'study.db'}")
    failed = [t for t in s.get_trials() if t.state == TrialState.FAIL]
    retry = [t for t in s.get_trials() if t.user_attrs.get(RETRY_ATTR) is not None]
    assert len(failed) == 1 and len(retry) == 1
    assert retry[0].params == failed[0].params and retry[0].user_attrs[RETRY_ATTR] == failed[0].number


def test_a_trial_left_running_by_a_killed_process_is_retried(tmp_path):
    lm, _ = rule_lm(checklist_agent)
    study(tmp_path, 1, lm)
    s = optuna.load_study(study_name="s", storage=f"sqlite:///{tmp_path / 'study.db'}")
    orphan = s.ask()
    suggest_config(orphan, SPACE)  # the process died here, mid-trial
    study(tmp_path, 2, lm)
    s = optuna.load_study(study_name="s", storage=f"sqlite:///{tmp_path / 'study.db'}")
    assert s.trials[orphan.number].state == TrialState.FAIL
    [retry] = [t for t in s.trials if t.user_attrs.get(RETRY_ATTR) == orphan.number]
    assert retry.params == orphan.params and retry.state in (TrialState.COMPLETE, TrialState.PRUNED)


def test_hopeless_trials_are_pruned_using_per_task_results(tmp_path):
    lm, _ = rule_lm(checklist_agent)
    report = study(tmp_path, 8, lm)
    s = optuna.load_study(study_name="s", storage=f"sqlite:///{tmp_path / 'study.db'}")
    pruned = [t for t in s.trials if t.state == TrialState.PRUNED]
    assert report.n_pruned == len(pruned) >= 1
    best = s.best_value
    for t in pruned:
        # Pruned after its first task, whose point was wrong: no DCE checklist reached the agent (no DCE, or
        # DCE gated to tool results while these states end on the user's request).
        assert "dce" not in t.user_attrs["specialists"] or t.params["gate_dce"] == "tool_result"
        assert max(t.intermediate_values) == 0
        assert t.intermediate_values[0] <= best


def test_the_pruner_compares_the_bound_with_the_best_completed_trial():
    s = optuna.create_study(direction="maximize")
    s.add_trial(optuna.trial.create_trial(value=0.8, params={}, distributions={}))
    pruner = HopelessTrialPruner()
    for bound, expected in [(0.5, True), (0.8, True), (0.9, False)]:
        frozen = optuna.trial.create_trial(state=TrialState.RUNNING, intermediate_values={0: bound})
        assert pruner.prune(s, frozen) is expected
    empty = optuna.create_study(direction="maximize")
    assert (
        pruner.prune(empty, optuna.trial.create_trial(state=TrialState.RUNNING, intermediate_values={0: 0.0}))
        is False
    )


def test_gating_only_changes_reuse_cached_calls_and_the_hit_rate_is_measured(fresh_cache):
    lm, engine = rule_lm(checklist_agent, cache=True)
    with dspy.context(lm=lm):
        with measure_lm_usage() as first:
            for e in EXAMPLES:
                FamaAgent(specialists=["dce", "tsa"])(state=e.state)
        with measure_lm_usage() as same_prompts:  # verify-and-revise has nothing to do here: same prompts
            for e in EXAMPLES:
                FamaAgent(specialists=["dce", "tsa"], verify_and_revise=False)(state=e.state)
        with measure_lm_usage() as fewer:  # TSA gated off: DCE's prompt is unchanged, the agent's is not
            for e in EXAMPLES:
                FamaAgent(specialists=["dce", "tsa"], gates={"tsa": "tool_result"})(state=e.state)
    assert (first.calls, first.served, first.hit_rate) == (12, 12, 0.0)
    assert (same_prompts.calls, same_prompts.served, same_prompts.hit_rate) == (12, 0, 1.0)
    assert (fewer.calls, fewer.served, fewer.cache_hits) == (8, 4, 4)
    assert len(engine.calls) == first.served + same_prompts.served + fewer.served
    assert first.est_tokens == same_prompts.est_tokens > 0  # the cost of a configuration ignores caching


def test_the_study_reports_the_cache_hit_rate_against_what_reached_the_model(tmp_path, fresh_cache):
    lm, engine = rule_lm(checklist_agent, cache=True)
    report = study(tmp_path, 6, lm)
    usage = report.usage
    assert usage["served"] == len(engine.calls)  # the measured count is what the model really received
    assert usage["calls"] > usage["served"] and usage["hit_rate"] == pytest.approx(
        1 - usage["served"] / usage["calls"]
    )
    s = optuna.load_study(study_name="s", storage=f"sqlite:///{tmp_path / 'study.db'}")
    assert sum(t.user_attrs["usage"]["calls"] for t in s.trials) == usage["calls"]


def test_two_objectives_report_the_pareto_front(tmp_path):
    lm, _ = rule_lm(checklist_agent)
    report = study(tmp_path, 5, lm, objective=Objective(two_objective=True))
    assert report.two_objective and report.n_pruned == 0 and report.best
    fronts = [(b["values"][0], b["values"][1]) for b in report.best]
    for quality, tokens in fronts:  # no front member is dominated by another
        assert not any(q >= quality and t <= tokens and (q, t) != (quality, tokens) for q, t in fronts)


def test_a_study_refuses_to_resume_with_another_setup(tmp_path):
    lm, _ = rule_lm(checklist_agent)
    study(tmp_path, 1, lm)
    with pytest.raises(ConfigError, match="another setup"):
        study(tmp_path, 2, lm, units=decision_units(EXAMPLES[:2]))
    with pytest.raises(ConfigError, match="No evaluation units"):
        study(tmp_path, 1, lm, units=[], name="t")


def test_solo_episodes_are_units_of_a_trial(tmp_path):
    def solo(role, system, text):
        if "`call`" in system:
            return '{"reasoning": "stop", "call": {"tool_name": "done", "arguments": {}}}'
        return checklist_agent(role, system, text)

    lm, _ = rule_lm(solo)
    units = [*decision_units(EXAMPLES[:1]), *solo_episode_units("mock", ["create_task_1"])]
    report = study(tmp_path, 1, lm, units=units)
    [best] = report.best
    assert best["episode_pass_rate"] == 0.0 and best["decision_accuracy"] in (0.0, 1.0)
    assert (tmp_path / "s-runs" / "trial-0" / "episodes" / "episodes.jsonl").exists()


# The space as studies recorded it before the registry: a study only resumes with an equal record.
RECORDED_SPACE = {
    "specialists": ["dce", "tsa", "tor", "pln", "ver", "mem"],
    "threshold": [0.05, 1.0],
    "coverage_threshold": [0.5, 1.0],
    "budget": [0, 3],
    "memory_k": [1, 8],
    "tor_min_chars": [200, 3000],
    "gated": ["dce", "tsa", "pln"],
    "verify_and_revise": [True, False],
}


def test_the_default_space_comes_from_the_registry_with_its_old_names():
    assert DEFAULT_SPACE.as_dict() == RECORDED_SPACE
    trial = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0)).ask()
    suggest_config(trial, DEFAULT_SPACE)
    # Same names, same order (the sampler's stream is consumed in call order), same distributions.
    asked = trial.distributions
    assert list(asked) == [
        *(f"threshold_{s}" for s in RECORDED_SPACE["specialists"]),
        *(f"gate_{c}" for c in RECORDED_SPACE["gated"]),
        "coverage_threshold",
        "budget",
        "memory_k",
        "tor_min_chars",
        "verify_and_revise",
    ]
    assert asked["memory_k"] == optuna.distributions.IntDistribution(1, 8)
    assert asked["tor_min_chars"] == optuna.distributions.IntDistribution(200, 3000, log=True)
    assert asked["verify_and_revise"] == optuna.distributions.CategoricalDistribution([True, False])
    params = {"coverage_threshold": 0.8, "budget": 1, "memory_k": 3, "tor_min_chars": 800}
    params |= {"verify_and_revise": True, **{name: "always" for name in asked if name.startswith("gate_")}}
    params |= {name: 0.5 for name in asked if name.startswith("threshold_")}
    # A saved program's metadata keeps its flat shape.
    assert suggest_config(optuna.trial.FixedTrial(params), DEFAULT_SPACE).as_dict() == {
        "coverage_threshold": 0.8,
        "budget": 1,
        "thresholds": {s: 0.5 for s in RECORDED_SPACE["specialists"]},
        "gates": {c: "always" for c in RECORDED_SPACE["gated"]},
        "memory_k": 3,
        "tor_min_chars": 800,
        "verify_and_revise": True,
    }


def test_a_setting_left_out_of_the_space_keeps_the_agents_default():
    space = ActivationSpace(settings={"memory_k": (2, 2)})
    config = suggest_config(
        optuna.trial.FixedTrial(
            {"coverage_threshold": 0.8, "budget": 0, "memory_k": 2}
            | {f"threshold_{s}": 0.5 for s in space.specialists}
            | {f"gate_{c}": "always" for c in space.gated}
        ),
        space,
    )
    assert config.agent_settings(["mem"]) == {"specialists": ["mem"], "memory_k": 2, "gates": {}}
    with pytest.raises(ConfigError, match="has a tunable setting 'budget_k'"):
        ActivationSpace(settings={"budget_k": (1, 2)})


def _shared_worker(tmp_path, worker, n_trials):
    lm, _ = rule_lm(checklist_agent)
    study(tmp_path, n_trials, lm, worker=worker)


def test_several_worker_processes_share_one_study(tmp_path):
    """Two processes on one SQLite file: every trial finishes, none is failed by the other worker."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")  # the workers reuse this module's scripted LM
    procs = [ctx.Process(target=_shared_worker, args=(tmp_path, k, 6)) for k in (0, 1)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(240)
    assert [p.exitcode for p in procs] == [0, 0]
    s = optuna.load_study(study_name="s", storage=f"sqlite:///{tmp_path / 'study.db'}")
    states = [t.state for t in s.trials]
    assert TrialState.FAIL not in states and TrialState.RUNNING not in states
    finished = [t for t in s.trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    assert 6 <= len(finished) <= 7  # each worker may finish the trial it is running at the end
    assert {t.user_attrs[WORKER_ATTR] for t in s.trials} == {0, 1}


def test_a_worker_leaves_another_workers_running_trial_alone(tmp_path):
    lm, _ = rule_lm(checklist_agent)
    study(tmp_path, 1, lm, worker=0)
    s = optuna.load_study(study_name="s", storage=f"sqlite:///{tmp_path / 'study.db'}")
    live = s.ask()  # another worker's trial in progress (its heartbeat is fresh)
    suggest_config(live, SPACE)
    study(tmp_path, 2, lm, worker=1)
    s = optuna.load_study(study_name="s", storage=f"sqlite:///{tmp_path / 'study.db'}")
    assert s.trials[live.number].state == TrialState.RUNNING


def test_a_study_url_is_kept_as_a_url():
    from fama_dspy.optimizers.activation import storage_url
    from fama_dspy.optimizers.settings import TuneSettings

    assert storage_url(TuneSettings(storage="sqlite:///runs/x.db").storage) == "sqlite:///runs/x.db"
    url = "postgresql://optuna@db.internal/fama"
    assert storage_url(TuneSettings(storage=url).storage) == url
    with pytest.raises(ConfigError, match="worker must be 0 or more"):
        tune_activation(PROFILE, decision_units(EXAMPLES), storage=url, worker=-1)
