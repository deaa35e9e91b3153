"""`compile_program` / `tune_program_activation` end to end on mock (solo): gold points, GEPA, the
acceptance check with real solo episodes, and the saved program."""

import json
import re

import pytest
from fama_dspy.optimizers import load_program
from fama_dspy.optimizers.activation import ActivationSpace
from fama_dspy.optimizers.pipeline import compile_program, tune_program_activation
from fama_dspy.optimizers.settings import (
    CompileSettings,
    ProgramOutput,
    SoloEpisodes,
    TrainingData,
    TuneSettings,
)
from opt_helpers import GOOD_INSTRUCTION, MAGIC, rule_lm

from fama_dspy.errors import ConfigError
from fama_dspy.fama_agent import FamaAgent


def call(reasoning, name, **args):
    return json.dumps({"reasoning": reasoning, "call": {"tool_name": name, "arguments": args}})


def mock_solver(role, system, text):
    """Solves mock tickets only when its instructions carry MAGIC; otherwise stops at once."""
    if "`call`" not in system:
        return json.dumps({"new_instruction": GOOD_INSTRUCTION, "proposed_instruction": GOOD_INSTRUCTION})
    if MAGIC not in system or "assistant called" in text:
        return call("finished", "done")
    if m := re.search(r"called '([^']+)' for (user_\d+)", text):
        return call("create it", "create_task", title=m.group(1), user_id=m.group(2))
    if m := re.search(r"status of (task_\d+) to (\w+)", text):
        return call("update it", "update_task_status", task_id=m.group(1), status=m.group(2))
    return call("cannot", "transfer_to_human_agents", summary="not possible")


@pytest.fixture
def dirs(tmp_path):
    return {"dataset_root": tmp_path / "decisions", "runs_dir": tmp_path / "runs"}


def mock_data(dirs, **kw) -> TrainingData:
    fields = {"domain": "mock", "split": "base", "solo_decisions": True, **kw}
    return TrainingData(dataset_root=dirs["dataset_root"], **fields)


def test_compile_tunes_checks_and_saves_the_tuned_program(tmp_path, dirs):
    lm, _ = rule_lm(mock_solver)
    result = compile_program(
        FamaAgent(),
        lm,
        mock_data(dirs, held_out_fraction=0.4, val_fraction=0.3),
        CompileSettings(max_lm_calls=40),
        model_spec="rule/test",
        output=ProgramOutput(out=tmp_path / "mock.json", runs_dir=dirs["runs_dir"]),
        progress=False,
    )
    assert result.kept == "tuned" and result.acceptance.accepted
    assert result.tuning.changed == ["agent.decide_solo"]
    assert result.acceptance.decisions.mean_tuned > result.acceptance.decisions.mean_untuned
    assert result.acceptance.episodes.mean_tuned > result.acceptance.episodes.mean_untuned
    program = load_program(result.path)
    assert program.agent.decide_solo.signature.instructions == GOOD_INSTRUCTION
    info = program.program_info
    assert info["kept"] == "tuned" and info["model"] == "rule/test" and info["tuning"]["optimizer"] == "gepa"
    assert info["acceptance"]["accepted"] and info["data"]["held_out"] >= 1
    assert (dirs["dataset_root"]).exists()  # the decision dataset was stored for reuse


def test_a_program_the_optimizer_did_not_change_is_saved_as_untuned(tmp_path, dirs):
    def no_better_idea(role, system, text):  # the reflection proposes the instruction it was given
        if "`call`" not in system:
            same = FamaAgent().agent.decide_solo.signature.instructions
            return json.dumps({"new_instruction": same, "proposed_instruction": same})
        return mock_solver(role, system, text)

    lm, _ = rule_lm(no_better_idea)
    result = compile_program(
        FamaAgent(),
        lm,
        mock_data(dirs, held_out_fraction=0.4, val_fraction=0.3),
        CompileSettings(max_lm_calls=20),
        model_spec="rule/test",
        output=ProgramOutput(out=tmp_path / "same.json", runs_dir=dirs["runs_dir"]),
        progress=False,
    )
    assert result.tuning.changed == [] and result.kept == "untuned"
    assert load_program(result.path).program_info["kept"] == "untuned"


def test_compile_and_tune_refuse_the_test_split(tmp_path, dirs):
    lm, _ = rule_lm(mock_solver)
    output = ProgramOutput(runs_dir=dirs["runs_dir"])
    with pytest.raises(ConfigError, match="allow-test-split"):
        compile_program(
            FamaAgent(), lm, TrainingData(domain="airline", split="test"), output=output, progress=False
        )
    with pytest.raises(ConfigError, match="allow-test-split"):
        tune_program_activation(
            {"category_frequencies": {}}, lm, TrainingData(domain="airline", split="base"), progress=False
        )
    with pytest.raises(ConfigError, match="no solo mode"):
        compile_program(
            FamaAgent(),
            lm,
            TrainingData(domain="airline"),
            solo=SoloEpisodes(domain="retail"),
            output=output,
            progress=False,
        )


def test_tune_saves_the_best_configuration_with_the_tuned_instructions(tmp_path, dirs):
    lm, _ = rule_lm(mock_solver)
    tuned = FamaAgent()
    tuned.agent.decide_solo.signature = tuned.agent.decide_solo.signature.with_instructions(GOOD_INSTRUCTION)
    profile = {"category_frequencies": {"DPV": 1.0}, "specialist_scores": {"dce": 0.5}}
    report, path = tune_program_activation(
        profile,
        lm,
        mock_data(dirs),
        TuneSettings(n_trials=2, space=ActivationSpace(specialists=("dce", "mem"), budget=(0, 1))),
        solo=SoloEpisodes(task_ids=["create_task_1"]),
        output=ProgramOutput(out=tmp_path / "tuned.json", runs_dir=dirs["runs_dir"]),
        program=tuned,
        progress=False,
    )
    assert report.n_complete >= 1 and path.exists()
    program = load_program(path)
    assert program.agent.decide_solo.signature.instructions == GOOD_INSTRUCTION
    assert program.program_info["activation"]["study"]["best"][0]["episode_pass_rate"] == 1.0
    assert program.program_info["profile"] == profile
