"""`fama compile` on ACEBench: demos from the multi-step train decision points, the stop decision included."""

from __future__ import annotations

import pytest
from fama_dspy.optimizers import load_program
from fama_dspy.optimizers.pipeline import compile_program
from fama_dspy.optimizers.settings import CompileSettings, ProgramOutput, TrainingData
from scripted_lm import action_reply, scripted_lm

from fama_dspy.errors import ConfigError
from fama_dspy.fama_agent import FamaAgent

pytestmark = pytest.mark.usefixtures("acebench_root")


def stopper():
    """An agent that calls `done` at every decision: right exactly where the work is finished."""
    return scripted_lm({"agent": [action_reply(kind="tool_call", tool_name="done", arguments={})]})


def _data(tmp_path, split="train") -> TrainingData:
    return TrainingData(
        benchmark="acebench",
        domain="multi-step",
        split=split,
        solo_decisions=True,
        dataset_root=tmp_path / "decisions",
    )


def test_demos_come_from_acebench_train_points_and_the_program_records_its_data(tmp_path):
    lm, engine = stopper()
    result = compile_program(
        FamaAgent(),
        lm,
        _data(tmp_path),
        CompileSettings(optimizer="demos", num_demos=3, demo_sets=1),
        model_spec="rule/test",
        output=ProgramOutput(out=tmp_path / "ace.json", runs_dir=tmp_path / "runs"),
        progress=False,
    )
    chosen = result.tuning.record()["chosen"]
    assert len(chosen) == 3 and all(c.startswith("multi-step/agent_multi_step_") for c in chosen)
    # train = even task indices: no demo comes from a test task
    assert all(int(c.split("/")[1].rsplit("_", 1)[1]) % 2 == 0 for c in chosen)
    program = load_program(result.path)
    data = program.program_info["data"]
    assert data["domain"] == "multi-step" and data["points"] == 57 + 10  # gold calls + one stop per task
    assert len(program.agent.decide_solo.demos) == 3
    # the held-out check asked the model: only its stop points are right for a model that always stops
    decisions = result.acceptance.decisions
    assert engine.calls and decisions.n > 0 and 0 < decisions.mean_untuned < 1


def test_compiling_on_acebench_test_tasks_is_refused(tmp_path):
    lm, engine = stopper()
    with pytest.raises(ConfigError, match="test"):
        compile_program(FamaAgent(), lm, _data(tmp_path, "test"), CompileSettings(optimizer="demos"))
    assert engine.calls == []
