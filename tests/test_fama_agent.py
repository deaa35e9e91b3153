import json
import threading
import time

import pytest
from conftest import TOOLS
from fama_dspy.signatures.action import AgentAction
from fama_dspy.signatures.tool_use import FOLLOW_UP_INSTRUCTION
from scripted_lm import COMPLETION_TOKENS, PROMPT_TOKENS, action_reply, json_reply, tool_call_reply

from fama_dspy.conversation import Message
from fama_dspy.errors import ConfigError
from fama_dspy.fama_agent import FamaAgent

CANCEL = AgentAction(kind="tool_call", tool_name="cancel_order", arguments={"order_id": "#W1"})
ASK = AgentAction(kind="message", message="Do you confirm the cancellation of #W1?")
HEADERS = {
    "dce": "## Policy checklist (DCE)",
    "tsa": "## Suggested tools (TSA)",
    "tor": "## Key facts from the last tool output (TOR)",
    "pln": "## Plan of remaining steps (PLN)",
    "mem": "## User requests so far (MEM)",
}


CANCEL_REPLY = action_reply(kind="tool_call", tool_name="cancel_order", arguments={"order_id": "#W1"})
PASS_REPLY = json_reply(verdict="PASS", reason="fine")


def script(agent=(CANCEL_REPLY,), verdicts=(PASS_REPLY,)):
    return {
        "agent": list(agent),
        "dce": [json_reply(rules=["Confirm before cancelling"])],
        "tsa": [json_reply(tools=["cancel_order"], why="pending orders can be cancelled")],
        "tor": [json_reply(facts=["status: pending"])],
        "pln": [json_reply(steps=["Ask for confirmation", "Cancel"])],
        "ver": list(verdicts),
    }


def agent_prompt(engine, index=0) -> str:
    return engine.of("agent")[index].messages[-1]["content"]


@pytest.mark.parametrize(
    "active", [("dce",), ("tsa", "mem"), ("dce", "tor", "pln"), ("dce", "tsa", "tor", "pln", "mem")]
)
def test_prompt_holds_exactly_the_active_sections(scripted, state, active):
    engine = scripted(script())
    pred = FamaAgent(specialists=active)(state=state)
    prompt = agent_prompt(engine)
    for code, header in HEADERS.items():
        assert (header in prompt) == (code in active), code
    assert sorted(engine.roles()) == sorted([c for c in active if c != "mem"] + ["agent"])
    assert pred.info["specialists_ran"] == [c for c in HEADERS if c in active] == list(pred.info["sections"])
    # Sections appear in registry order, each exactly as the specialist rendered it.
    context = prompt.split("[[ ## context ## ]]\n", 1)[1]
    positions = [context.index(pred.info["sections"][c]) for c in pred.info["specialists_ran"]]
    assert positions == sorted(positions)


def test_no_specialists_means_no_context(scripted, state):
    engine = scripted(script())
    pred = FamaAgent()(state=state)
    assert "[[ ## context ## ]]" not in agent_prompt(engine)
    assert pred.info["specialists_ran"] == [] and pred.info["lm_calls"] == 1


def test_silent_specialists_add_nothing(scripted, fresh_state):
    engine = scripted({**script(), "tsa": [json_reply(tools=["invented"], why="x")]})
    pred = FamaAgent(specialists=["tsa", "tor"])(state=fresh_state)
    assert pred.info["specialists_ran"] == [] and "[[ ## context ## ]]" not in agent_prompt(engine)
    assert engine.roles() == ["tsa", "agent"]  # TOR had no tool output to read.


def test_verifier_fail_triggers_one_revision(scripted, state):
    reason = "The user has not confirmed the cancellation."
    engine = scripted(
        script(
            agent=[CANCEL_REPLY, action_reply(kind="message", message=ASK.message)],
            verdicts=[json_reply(verdict="FAIL", reason=reason)],
        )
    )
    pred = FamaAgent(specialists=["dce", "ver"])(state=state)
    assert pred.action == ASK
    assert pred.info["revised"] is True
    assert pred.info["verifier"] == {"verdict": "FAIL", "reason": reason}
    assert engine.roles() == ["dce", "agent", "ver", "agent"]
    assert "[[ ## feedback ## ]]" not in agent_prompt(engine, 0)
    revision = agent_prompt(engine, 1)
    assert f'`cancel_order({{"order_id": "#W1"}})` was rejected by a check: {reason}' in revision
    assert "## Policy checklist (DCE)" in revision  # same context for the revision
    assert pred.info["specialists_ran"] == ["dce", "ver"] and pred.info["lm_calls"] == 4


def test_verifier_pass_keeps_the_action(scripted, state):
    engine = scripted(script())
    pred = FamaAgent(specialists=["ver"])(state=state)
    assert pred.action == CANCEL and pred.info["revised"] is False
    assert pred.info["verifier"] == {"verdict": "PASS", "reason": "fine"}
    assert engine.roles() == ["agent", "ver"]


def test_fail_without_revision_when_disabled(scripted, state):
    engine = scripted(script(verdicts=[json_reply(verdict="FAIL", reason="no")]))
    pred = FamaAgent(specialists=["ver"], verify_and_revise=False)(state=state)
    assert pred.action == CANCEL and not pred.info["revised"] and pred.info["verifier"]["verdict"] == "FAIL"
    assert engine.roles() == ["agent", "ver"]


def test_read_only_calls_and_messages_skip_the_verifier(scripted, fresh_state):
    engine = scripted(
        script(
            agent=[
                action_reply(kind="tool_call", tool_name="get_order", arguments={"order_id": "#W1"}),
                action_reply(kind="message", message="One moment."),
            ]
        )
    )
    agent = FamaAgent(specialists=["ver"])
    assert agent(state=fresh_state).info["verifier"] is None
    assert agent(state=fresh_state).info["verifier"] is None
    assert engine.roles() == ["agent", "agent"]


def test_a_repeated_call_is_revised_without_a_verifier_lm_call(scripted, state):
    engine = scripted(
        script(
            agent=[
                action_reply(kind="tool_call", tool_name="get_order", arguments={"order_id": "#W1"}),
                action_reply(kind="message", message="Your order #W1 is pending."),
            ]
        )
    )
    pred = FamaAgent(specialists=["ver"])(state=state)
    assert pred.action.message == "Your order #W1 is pending." and pred.info["revised"]
    assert engine.roles() == ["agent", "agent"]
    assert "repeats your last call" in agent_prompt(engine, 1)


def test_specialists_run_concurrently_with_the_callers_settings(scripted, state):
    delay = 0.3
    engine = scripted(script(), delay=delay)
    agent = FamaAgent(specialists=["dce", "tsa", "pln"])
    start = time.perf_counter()
    pred = agent(state=state)
    elapsed = time.perf_counter() - start
    # Sequential: 3 specialists + 1 agent call = 4 * delay. Concurrent: about 2 * delay.
    assert elapsed < 3 * delay, elapsed
    threads = {c.thread for c in engine.calls if c.role != "agent"}
    assert len(threads) == 3 and threading.current_thread().name not in threads
    # The LM was only set with dspy.context in this thread: the workers saw it through the copied context.
    assert pred.info["specialists_ran"] == ["dce", "tsa", "pln"]


def test_one_worker_runs_specialists_in_the_calling_thread(scripted, state):
    engine = scripted(script())
    FamaAgent(specialists=["dce", "tsa"], max_workers=1)(state=state)
    assert {c.thread for c in engine.calls} == {threading.current_thread().name}
    with pytest.raises(ConfigError):
        FamaAgent(max_workers=0)


def test_info_counts_calls_tokens_and_failures(scripted, state):
    scripted({**script(agent=["garbage", action_reply(kind="message", message="Hi")]), "dce": ["not json"]})
    pred = FamaAgent(specialists=["dce", "tsa"])(state=state)
    info = json.loads(json.dumps(pred.info))  # JSON-serialisable
    assert info["lm_calls"] == 4
    assert info["usage"] == {
        "prompt_tokens": 4 * PROMPT_TOKENS,
        "completion_tokens": 4 * COMPLETION_TOKENS,
        "total_tokens": 4 * (PROMPT_TOKENS + COMPLETION_TOKENS),
    }
    assert info["parse_failures"] == 1 and info["specialist_parse_failures"] == {"dce": 1}
    assert info["specialists_ran"] == ["tsa"] and info["fallback"] is False
    assert info["fc_text_tool_calls"] == 0 and info["verifier"] is None


def test_fc_base_gets_the_context_in_its_system_message(scripted, state):
    engine = scripted(
        {**script(), "agent": ['```json\n{"name": "cancel_order", "arguments": {"order_id": "#W1"}}\n```']}
    )
    pred = FamaAgent(base="fc", specialists=["pln", "mem"])(state=state)
    system = engine.of("agent")[0].system
    assert "# Context\n## Plan of remaining steps (PLN)" in system and HEADERS["mem"] in system
    assert pred.action == CANCEL and pred.info["fc_text_tool_calls"] == 1
    # Specialists keep structured outputs under an fc base: their own bounded schema by default.
    fmt = engine.of("pln")[0].config.response_format
    assert fmt["type"] == "json_schema" and fmt["schema"]["properties"]["steps"]["maxItems"] == 12
    json_mode = FamaAgent(base="fc", specialists=["pln"], decoding="json")
    json_mode(state=state)
    assert engine.of("pln")[-1].config.response_format == {"type": "json_object"}


def test_fc_base_with_real_tool_calls(scripted, state):
    scripted({**script(), "agent": [tool_call_reply("cancel_order", order_id="#W1")]})
    pred = FamaAgent(base="fc", specialists=["ver"])(state=state)
    assert pred.action == CANCEL and pred.info["verifier"]["verdict"] == "PASS"


def test_follow_up_prompting_reaches_the_agent(scripted, state):
    engine = scripted(script())
    FamaAgent(follow_up_prompting=True)(state=state)
    assert FOLLOW_UP_INSTRUCTION in engine.of("agent")[0].system


def test_named_predictors_and_active_specialists():
    agent = FamaAgent(specialists=["MEM", "ver", "dce", "tor"])
    assert agent.active_specialists == ("dce", "tor", "ver", "mem")
    assert [n for n, _ in agent.named_predictors()] == [
        "agent.decide",
        "agent.decide_solo",
        "dce.extract",
        "tor.reformat",
        "ver.verify",
    ]
    assert not hasattr(agent, "tsa")


def test_save_load_round_trip_keeps_prompts_and_settings(tmp_path):
    agent = FamaAgent(specialists=["dce", "tor", "mem"], memory_k=2, tor_min_chars=900)
    agent.dce.extract.signature = agent.dce.extract.signature.with_instructions("Tuned DCE.")
    path = tmp_path / "fama.json"
    agent.save(path)
    assert json.loads(path.read_text())["fama"]["memory_k"] == 2

    loaded = FamaAgent(specialists=["dce", "tor", "mem"])
    loaded.load(path)
    assert loaded.dce.extract.signature.instructions == "Tuned DCE."
    assert (loaded.mem.k, loaded.tor.min_chars) == (2, 900)

    with pytest.raises(ConfigError, match="specialists"):
        FamaAgent(specialists=["dce"]).load(path)


def test_states_stay_independent_between_decisions(scripted, state):
    engine = scripted(script())
    agent = FamaAgent(specialists=["mem"])
    agent(state=state)
    later = state.model_copy(
        update={"messages": [*state.messages, Message(role="user", content="Also refund me.")]}
    )
    agent(state=later)
    first, second = agent_prompt(engine, 0), agent_prompt(engine, 1)
    assert "Also refund me." not in first and "- Also refund me." in second
    assert TOOLS[0].name in first


def test_from_profile_activates_the_recommended_subset(tmp_path):
    from fama_dspy.analysis.profile_builder import build_profile

    profile = build_profile([], model="m", domain="airline")
    profile.recommended = ["dce", "mem"]
    path = tmp_path / "profile.json"
    profile.save(path)
    for source in (profile, str(path), profile.model_dump(mode="json")):
        agent = FamaAgent.from_profile(source, base="react")
        assert agent.active_specialists == ("dce", "mem")
        assert agent.program_info["profile"]["recommended"] == ["dce", "mem"]
    with pytest.raises(ConfigError):
        FamaAgent.from_profile({"category_counts": {}})


# What FamaAgent built for each code before the registry: class, adapter (shared or none), settings.
BUILT = {
    "dce": ("DomainConstraintExtractor", True, {"max_rules": 5}),
    "tsa": ("ToolSuggester", True, {"max_tools": 2}),
    "tor": ("ToolOutputReformatter", True, {"min_chars": 900, "max_facts": 8}),
    "pln": ("Planner", True, {"max_steps": 6}),
    "ver": ("ActionVerifier", True, {"scope": "writes", "reject_repeats": True}),
    "mem": ("RequestMemory", False, {"k": 2, "max_calls": 6, "max_ids": 12}),
}


@pytest.mark.parametrize("code", list(BUILT))
def test_each_specialist_is_built_as_before(code):
    from fama_dspy.adapters import JSONModeAdapter

    name, has_adapter, attrs = BUILT[code]
    agent = FamaAgent(specialists=[code], memory_k=2, tor_min_chars=900, decoding="json")
    module = getattr(agent, code)
    assert type(module).__name__ == name
    assert {k: getattr(module, k) for k in attrs} == attrs
    adapter = getattr(module, "adapter", None)
    assert (adapter is not None) == has_adapter
    if has_adapter:  # the specialists' own JSON-mode adapter, following the agent's decoding
        assert isinstance(adapter, JSONModeAdapter) and adapter.decoding == "json"
        assert adapter is not agent.agent.adapter
    shared = JSONModeAdapter("json")
    react = FamaAgent(specialists=[code], adapter=shared)
    assert (getattr(getattr(react, code), "adapter", None) is shared) == has_adapter
    assert react.context_specialists == (() if code == "ver" else (code,))
    assert react.action_checker == ("ver" if code == "ver" else None)


def test_every_tunable_with_a_public_name_is_an_agent_keyword_with_the_same_default():
    import inspect

    from fama_dspy.specialists import TUNABLES

    params = inspect.signature(FamaAgent.__init__).parameters
    for tunables in TUNABLES.values():
        for t in tunables:
            assert params[t.name].default == t.default, t.name
