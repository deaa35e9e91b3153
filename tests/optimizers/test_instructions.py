import dspy
import pytest
from fama_dspy.optimizers import load_program, save_program
from fama_dspy.optimizers.instructions import expected_lm_calls, plan_mipro_trials, tune_instructions
from opt_helpers import GOOD_INSTRUCTION, cancel_request, policy_agent, rule_lm

from fama_dspy.errors import ConfigError
from fama_dspy.fama_agent import FamaAgent

TRAIN = [cancel_request(i) for i in range(1, 5)]
VAL = [cancel_request(i) for i in range(5, 7)]


def agent_prompts(agent, examples):
    lm, engine = rule_lm(policy_agent)
    with dspy.context(lm=lm):
        actions = [agent(state=e.state).action for e in examples]
    return actions, [(c.role, c.system, c.text) for c in engine.calls]


@pytest.fixture
def lms():
    task_lm, task_engine = rule_lm(policy_agent, model="rule/task")
    reflection_lm, reflection_engine = rule_lm(policy_agent, model="rule/reflect")
    return task_lm, task_engine, reflection_lm, reflection_engine


def test_gepa_learns_the_instruction_from_the_feedback_and_it_survives_save_load(lms, tmp_path):
    task_lm, task_engine, reflection_lm, reflection_engine = lms
    agent = FamaAgent(specialists=["dce"])
    original = agent.agent.decide.signature.instructions
    result = tune_instructions(
        agent,
        TRAIN,
        VAL,
        optimizer="gepa",
        max_lm_calls=80,
        task_lm=task_lm,
        reflection_lm=reflection_lm,
        seed=0,
        progress=False,
    )
    assert result.instructions_after["agent.decide"] == GOOD_INSTRUCTION
    assert "agent.decide" in result.changed and result.val_score == 1.0
    assert agent.agent.decide.signature.instructions == original  # the input agent is untouched
    # The reflection model saw the feedback metric's diagnosis of the untuned agent's mistake.
    reflections = reflection_engine.of("unknown")
    assert reflections and any(
        "[DPV]" in c.text and "before the required lookup `get_order`" in c.text for c in reflections
    )
    assert result.usage["calls"] == len(task_engine.calls) + len(reflection_engine.calls)
    assert result.budget["max_metric_calls"] == 40 and result.budget["expected_lm_calls_per_run"] == 2.0

    path = save_program(result.program, tmp_path / "gepa.json", {"tuning": result.record()})
    loaded = load_program(path)
    assert loaded.agent.decide.signature.instructions == GOOD_INSTRUCTION
    assert loaded.program_info["tuning"]["optimizer"] == "gepa"
    actions, sent = agent_prompts(result.program, VAL)
    assert [a.tool_name for a in actions] == ["get_order", "get_order"]
    assert agent_prompts(loaded, VAL) == (actions, sent)


def test_gepa_stops_at_the_lm_call_budget(lms):
    task_lm, task_engine, reflection_lm, reflection_engine = lms
    result = tune_instructions(
        FamaAgent(specialists=["dce"]),
        TRAIN,
        VAL,
        max_lm_calls=12,
        task_lm=task_lm,
        reflection_lm=reflection_lm,
        minibatch_size=3,
        progress=False,
    )
    calls = len(task_engine.calls) + len(reflection_engine.calls)
    # Checked between iterations: at most one iteration (two minibatch runs of 2 calls each + 1 reflection) over.
    assert result.stopped_by_budget and 12 <= calls <= 12 + 2 * 3 * 2 + 1


def test_gepa_can_be_limited_to_some_predictors(lms):
    task_lm, _, reflection_lm, reflection_engine = lms
    agent = FamaAgent(specialists=["dce"])
    result = tune_instructions(
        agent,
        TRAIN,
        VAL,
        max_lm_calls=40,
        task_lm=task_lm,
        reflection_lm=reflection_lm,
        predictors=["dce.extract"],
        progress=False,
    )
    # Only DCE's instruction was proposed for; it cannot fix the agent's mistake, so nothing was kept.
    dce_instruction = agent.dce.extract.signature.instructions.splitlines()[0]
    assert reflection_engine.calls and all(dce_instruction in c.text for c in reflection_engine.calls)
    assert result.changed == [] and result.budget["predictors"] == ["dce.extract"]
    with pytest.raises(ConfigError, match="Unknown predictor"):
        tune_instructions(FamaAgent(), TRAIN, VAL, task_lm=task_lm, predictors=["tor.reformat"])


def test_mipro_finds_the_instruction_and_it_survives_save_load(lms, tmp_path):
    task_lm, _, prompt_lm, prompt_engine = lms
    agent = FamaAgent(specialists=["dce"])
    result = tune_instructions(
        agent,
        TRAIN,
        VAL,
        optimizer="mipro",
        max_lm_calls=60,
        task_lm=task_lm,
        reflection_lm=prompt_lm,
        num_candidates=3,
        seed=0,
        progress=False,
    )
    assert result.instructions_after["agent.decide"] == GOOD_INSTRUCTION and result.val_score == 1.0
    assert prompt_engine.calls  # proposals came from the prompt model
    assert result.budget["num_trials"] == plan_mipro_trials(60, 2.0, len(agent.predictors()), 4, 2, 3)[0]
    loaded = load_program(save_program(result.program, tmp_path / "mipro.json", {"tuning": result.record()}))
    assert loaded.agent.decide.signature.instructions == GOOD_INSTRUCTION
    assert agent_prompts(loaded, VAL) == agent_prompts(result.program, VAL)
    with pytest.raises(ConfigError, match="GEPA only"):
        tune_instructions(agent, TRAIN, VAL, optimizer="mipro", task_lm=task_lm, predictors=["agent.decide"])


def test_bad_inputs_are_config_errors(lms):
    task_lm = lms[0]
    with pytest.raises(ConfigError, match="Unknown optimizer"):
        tune_instructions(FamaAgent(), TRAIN, VAL, optimizer="copro", task_lm=task_lm)
    with pytest.raises(ConfigError, match="No training examples"):
        tune_instructions(FamaAgent(), [], VAL, task_lm=task_lm)
    with pytest.raises(ConfigError, match="max_lm_calls"):
        tune_instructions(FamaAgent(), TRAIN, VAL, task_lm=task_lm, max_lm_calls=0)
    with pytest.raises(ConfigError, match="No task LM"):
        tune_instructions(FamaAgent(), TRAIN, VAL)


def test_expected_calls_follow_gates_tor_and_ver():
    fresh = cancel_request(1)
    assert (
        expected_lm_calls(FamaAgent(specialists=["dce", "tsa", "tor", "mem"]), fresh) == 3
    )  # TOR: no output
    assert expected_lm_calls(FamaAgent(specialists=["dce", "pln"], gates={"pln": "tool_result"}), fresh) == 2
    writes = fresh.copy(gold=fresh.gold.model_copy(update={"tool_name": "cancel_order"}))
    assert expected_lm_calls(FamaAgent(specialists=["ver"]), writes) == 2.5
