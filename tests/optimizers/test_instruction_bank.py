"""The ``instructions`` optimizer: bank and mined lines, chosen per predictor by a resumable Optuna study."""

import dspy
import optuna
import pytest
from fama_dspy.optimizers.instruction_bank import (
    AGENT_BANK,
    apply_lines,
    candidate_lines,
    mined_lines,
    tune_instruction_lines,
)
from opt_helpers import cancel_request, order_ids, rule_lm
from scripted_lm import action_reply

from fama_dspy.errors import ConfigError
from fama_dspy.fama_agent import FamaAgent

KEY_LINE = AGENT_BANK["IFU"][0]


def obeys_the_key_line(role, system, text):
    """Looks the order up only when the IFU line is in its instructions; otherwise it apologises."""
    if KEY_LINE in system:
        return action_reply(
            kind="tool_call", tool_name="get_order", arguments={"order_id": order_ids(text)[-1]}
        )
    return action_reply(kind="message", message="I'm sorry, but I can't assist with that.")


VAL = [cancel_request(i) for i in range(1, 4)]


def test_candidate_lines_per_predictor_and_mined_lines():
    agent = FamaAgent(specialists=["dce", "mem"])
    records = [
        {"point_id": e.point_id, "exact_ok": False, "action": {"kind": "message", "message": "sorry"}}
        for e in VAL
    ]
    mined = mined_lines(VAL, records)
    assert mined == [
        "When the next step needs what `get_order` returns, call `get_order` instead of writing a message."
    ]
    lines = candidate_lines(agent, ["IFU"], mined)
    assert set(lines) == {"agent.decide", "agent.decide_solo", "dce.extract"}
    assert lines["agent.decide"][-1] == mined[0] and KEY_LINE in lines["agent.decide"]
    tuned = apply_lines(agent, {"agent.decide": [KEY_LINE]})
    assert tuned.agent.decide.signature.instructions.endswith(f"- {KEY_LINE}")
    assert KEY_LINE not in agent.agent.decide.signature.instructions  # the input agent is unchanged


def test_the_study_finds_the_line_that_works_and_resumes(tmp_path):
    lm, _ = rule_lm(obeys_the_key_line)
    agent = FamaAgent(decoding="json", id_policy="free")
    lines = {"agent.decide": AGENT_BANK["IFU"][:2] + AGENT_BANK["CM"][:1]}
    storage = tmp_path / "study.db"
    with dspy.context(lm=lm):
        _, record = tune_instruction_lines(agent, VAL, lines, storage=storage, n_trials=3, seed=1)
        assert record["trials"] == 3
        # Interrupted after 3 trials: a rerun with a larger budget continues the same study.
        program, record = tune_instruction_lines(agent, VAL, lines, storage=storage, n_trials=10, seed=1)
    assert record["trials"] == 10 and record["val_exact"] == 1.0
    assert KEY_LINE in record["chosen_lines"]["agent.decide"]
    assert KEY_LINE in program.agent.decide.signature.instructions
    study = optuna.load_study(study_name=record["study"], storage=f"sqlite:///{storage}")
    assert study.trials[0].value == 0.0 and not any(study.trials[0].params.values())  # trial 0: untuned


def test_errors_are_clear(tmp_path):
    with pytest.raises(ConfigError):
        tune_instruction_lines(FamaAgent(), VAL, {}, storage=tmp_path / "x.db")
    with pytest.raises(ConfigError):
        tune_instruction_lines(FamaAgent(), [], {"agent.decide": ["x"]}, storage=tmp_path / "x.db")
