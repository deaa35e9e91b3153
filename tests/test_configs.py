import pytest

from fama_dspy.configs import CONFIG_NAMES, IRMA_SPECIALISTS, build_agent, load_agent
from fama_dspy.errors import ConfigError


def test_baselines_have_no_specialists():
    react, fc = build_agent("react"), build_agent("FC")
    assert (react.base, react.active_specialists) == ("react", ())
    assert (fc.base, fc.active_specialists) == ("fc", ())
    assert fc.agent.mode == "fc"


def test_baselines_refuse_specialists_and_other_bases():
    with pytest.raises(ConfigError, match="'fama'"):
        build_agent("react", specialists=["dce"])
    with pytest.raises(ConfigError, match="base"):
        build_agent("fc", base="react")


def test_irma_is_memory_constraints_and_tools_with_follow_up():
    irma = build_agent("irma", memory_k=6)
    assert set(irma.active_specialists) == set(IRMA_SPECIALISTS)
    assert irma.follow_up_prompting and irma.mem.k == 6
    assert build_agent("irma", base="fc").agent.mode == "fc"
    with pytest.raises(ConfigError, match="always uses"):
        build_agent("irma", specialists=["dce"])


def test_fama_takes_the_given_subset():
    agent = build_agent("fama", specialists=["DCE", "Mem"], memory_k=2)
    assert agent.active_specialists == ("dce", "mem") and agent.mem.k == 2
    assert not agent.follow_up_prompting


def test_fama_needs_a_subset_and_warns_when_it_is_empty():
    with pytest.raises(ConfigError, match="specialist subset"):
        build_agent("fama")
    with pytest.warns(UserWarning, match="no specialists"):
        assert build_agent("fama", specialists=[]).active_specialists == ()


def test_unknown_names_and_codes_list_the_valid_ones():
    with pytest.raises(ConfigError, match="valid names: react, fc, irma, fama"):
        build_agent("reflexion")
    with pytest.raises(ConfigError, match="valid codes: dce, tsa, tor, pln, ver, mem"):
        build_agent("fama", specialists=["dce", "critic"])
    assert CONFIG_NAMES == ("react", "fc", "irma", "fama")


def test_load_agent_rebuilds_the_saved_configuration(tmp_path):
    saved = build_agent("fama", base="fc", specialists=["tor", "mem"], memory_k=3, tor_min_chars=1000)
    saved.agent.decide.signature = saved.agent.decide.signature.with_instructions("Tuned.")
    saved.save(tmp_path / "agent.json")
    loaded = load_agent(tmp_path / "agent.json")
    assert (loaded.base, loaded.active_specialists) == ("fc", ("tor", "mem"))
    assert (loaded.mem.k, loaded.tor.min_chars) == (3, 1000)
    assert loaded.agent.decide.signature.instructions == "Tuned."


def test_load_agent_refuses_foreign_state(tmp_path):
    path = tmp_path / "other.json"
    path.write_text('{"predict": {}}')
    with pytest.raises(ConfigError, match="no FamaAgent settings"):
        load_agent(path)
