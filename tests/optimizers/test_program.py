import json

import dspy
import pytest
from fama_dspy.optimizers import load_program, save_program
from fama_dspy.optimizers.program import copy_predictor_state, default_program_path, program_digest
from opt_helpers import after_lookup, cancel_request, policy_agent, rule_lm

from fama_dspy.configs import load_agent
from fama_dspy.errors import ConfigError
from fama_dspy.fama_agent import PROGRAM_SCHEMA_VERSION, FamaAgent

ALL = ["dce", "tsa", "tor", "pln", "ver", "mem"]


def tuned_agent() -> FamaAgent:
    agent = FamaAgent(
        specialists=ALL,
        memory_k=3,
        tor_min_chars=20,
        verify_and_revise=False,
        gates={"dce": "user_turn", "pln": "tool_result"},
    )
    for name, predictor in agent.named_predictors():
        predictor.signature = predictor.signature.with_instructions(f"Tuned instructions of {name}.")
    demo_state = cancel_request(7).state
    agent.agent.decide.demos = [
        dspy.Example(
            policy=demo_state.policy,
            tools="get_order(order_id: string*)",
            conversation="[0] user: cancel #W7",
            reasoning="look it up",
            action=cancel_request(7).gold,
        )
    ]
    return agent


def prompts(agent, examples) -> list[tuple[str, str, str]]:
    lm, engine = rule_lm(policy_agent)
    with dspy.context(lm=lm):
        for e in examples:
            agent(state=e.state)
    return sorted((c.role, c.system, c.text) for c in engine.calls)


def test_a_loaded_program_sends_exactly_the_same_prompts(tmp_path):
    agent = tuned_agent()
    path = save_program(
        agent,
        tmp_path / "prog.json",
        {"tuning": {"optimizer": "gepa", "val_score": 0.5}},
        profile={"model": "m", "recommended": ["dce"]},
        model="local:qwen2.5-coder-1.5b",
    )
    loaded = load_program(path)
    assert loaded.settings() == agent.settings()
    assert [n for n, _ in loaded.named_predictors()] == [n for n, _ in agent.named_predictors()]
    confirmed = after_lookup(2, output="x" * 50)
    # Ends on the long tool output: TOR's length rule and PLN's "tool_result" gate open, DCE's closes.
    looked_up = confirmed.copy(
        state=confirmed.state.model_copy(update={"messages": confirmed.state.messages[:3]})
    )
    examples = [cancel_request(1), confirmed, looked_up]
    sent = prompts(agent, examples)
    assert sent == prompts(loaded, examples)
    # The tuned instructions, the demo and the gates all took part.
    assert any("Tuned instructions of dce.extract." in s for _, s, _ in sent)
    assert any("cancel #W7" in text for role, _, text in sent if role == "agent")
    assert {role for role, _, _ in sent} >= {"agent", "dce", "tsa", "tor", "pln", "ver"}
    assert program_digest(loaded) == program_digest(agent)


def test_the_file_is_one_versioned_json_with_settings_profile_and_record(tmp_path):
    path = save_program(
        tuned_agent(), tmp_path / "prog.json", {"kept": "tuned"}, profile={"model": "m"}, model="spec"
    )
    state = json.loads(path.read_text())
    assert state["fama_program"]["schema_version"] == PROGRAM_SCHEMA_VERSION
    assert state["fama_program"]["model"] == "spec" and state["fama_program"]["profile"] == {"model": "m"}
    assert state["fama_program"]["kept"] == "tuned"
    assert (
        state["fama"]["gates"] == {"dce": "user_turn", "pln": "tool_result"}
        and state["fama"]["memory_k"] == 3
    )
    assert "Tuned instructions of agent.decide." == state["agent.decide"]["signature"]["instructions"]
    loaded = load_program(path)
    assert loaded.program_info["model"] == "spec" and loaded.program_info["kept"] == "tuned"
    # The named-configuration loader reads the same file.
    assert load_agent(path).settings() == loaded.settings()


def test_programs_land_in_data_compiled_by_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = save_program(FamaAgent(specialists=["mem"]), name="airline-gepa")
    assert (
        path
        == default_program_path("airline-gepa")
        == tmp_path.joinpath("data/compiled/airline-gepa.json").relative_to(tmp_path)
    )
    assert load_program(tmp_path / path).active_specialists == ("mem",)


def test_broken_or_foreign_files_are_refused(tmp_path):
    path = save_program(FamaAgent(specialists=["dce"]), tmp_path / "p.json")
    good = json.loads(path.read_text())

    def write(state, name="bad.json"):
        target = tmp_path / name
        target.write_text(json.dumps(state))
        return target

    with pytest.raises(ConfigError, match="schema_version 99"):
        load_program(write({**good, "fama_program": {"schema_version": 99}}))
    with pytest.raises(ConfigError, match="no FamaAgent settings"):
        load_program(write({"agent.decide": good["agent.decide"]}))
    with pytest.raises(ConfigError, match=r"missing predictors \['dce.extract'\]"):
        load_program(write({k: v for k, v in good.items() if k != "dce.extract"}))
    with pytest.raises(ConfigError, match="unexpected"):
        load_program(write({**good, "tsa.suggest": good["dce.extract"]}))
    with pytest.raises(ConfigError, match="does not know"):
        load_program(write({**good, "fama": {**good["fama"], "temperature_of_mars": 3}}))
    with pytest.raises(ConfigError, match="never pickles"):
        load_program(tmp_path / "prog.pkl")
    (tmp_path / "text.json").write_text("{not json")
    with pytest.raises(ConfigError, match="not readable JSON"):
        load_program(tmp_path / "text.json")
    with pytest.raises(ConfigError, match="not readable JSON|No compiled program"):
        load_program(tmp_path / "missing.json")


def test_overrides_apply_but_cannot_change_the_configuration(tmp_path):
    path = save_program(FamaAgent(specialists=["dce", "mem"], memory_k=2, max_workers=3), tmp_path / "p.json")
    loaded = load_program(path, max_workers=1, memory_k=5)
    assert (loaded.max_workers, loaded.mem.k) == (1, 5)
    with pytest.raises(ConfigError, match="cannot be overridden"):
        load_program(path, specialists=["dce"])


def test_save_refuses_what_it_cannot_write(tmp_path):
    with pytest.raises(ConfigError, match="JSON-serialisable"):
        save_program(FamaAgent(), tmp_path / "p.json", {"obj": object()})
    with pytest.raises(ConfigError, match=".json"):
        save_program(FamaAgent(), tmp_path / "p.pkl")
    with pytest.raises(ConfigError, match="path or a name"):
        save_program(FamaAgent())


def test_copy_predictor_state_moves_tuned_prompts_between_active_sets():
    source = tuned_agent()
    target = FamaAgent(specialists=["dce", "mem"])
    assert copy_predictor_state(source, target) == [n for n, _ in target.named_predictors()]
    assert target.dce.extract.signature.instructions == "Tuned instructions of dce.extract."
    assert len(target.agent.decide.demos) == 1


def test_a_program_records_its_prompt_layout_and_a_mismatch_is_said(tmp_path, caplog):
    from fama_dspy.adapters import prompt_layout

    path = save_program(FamaAgent(specialists=["mem"]), tmp_path / "p.json")
    assert json.loads(path.read_text())["fama_program"]["prompt_layout"] == "shared-prefix"
    load_program(path)
    assert not [r for r in caplog.records if "prompt layout" in r.getMessage()]
    with prompt_layout("per-signature"):
        load_program(path)
    (warning,) = [r.getMessage() for r in caplog.records if "prompt layout" in r.getMessage()]
    assert "compiled with the shared-prefix prompt layout and runs with per-signature" in warning
    # Files saved before the layout was recorded were compiled per-signature.
    state = json.loads(path.read_text())
    del state["fama_program"]["prompt_layout"]
    path.write_text(json.dumps(state))
    caplog.clear()
    load_program(path)
    assert any("compiled with the per-signature prompt layout" in r.getMessage() for r in caplog.records)
