import json
import threading

import pytest
from tau2.agent.base import LocalAgent

from benchmarks.tau2.harness_helpers import ScriptedAgent, call, say
from fama_dspy.benchmarks.tau2.builders import agent_tools, gold_agent_builder
from fama_dspy.benchmarks.tau2.runner import default_seeds, run_episodes
from fama_dspy.errors import ConfigError, EndpointUnreachableError
from fama_dspy.results.records import EPISODES_FILE, load_episodes, read_jsonl

# Gold replay must score 1.0 through the runner (docs/design.md §5). Mock's
# `update_task_with_history_and_env_assertions` has an env assertion but no gold action, and
# `update_task_with_initialization_data` needs a message, impossible solo: neither is sampled.
GOLD_SAMPLES = [
    ("airline", False, ["0", "1", "3"]),
    ("retail", False, ["0", "5"]),
    (
        "telecom",
        False,
        [
            "[mobile_data_issue]airplane_mode_on|user_abroad_roaming_enabled_off[PERSONA:None]",
            "[mobile_data_issue]data_mode_off|data_usage_exceeded|user_abroad_roaming_disabled_off[PERSONA:Hard]",
        ],
    ),
    (
        "telecom",
        True,
        [
            "[mobile_data_issue]airplane_mode_on|user_abroad_roaming_enabled_off[PERSONA:None]",
            "[mobile_data_issue]data_mode_off|data_usage_exceeded|user_abroad_roaming_disabled_off[PERSONA:Hard]",
        ],
    ),
    (
        "mock",
        False,
        [
            "create_task_1",
            "update_task_with_message_history",
            "impossible_task_1",
            "update_task_with_initialization_data",
        ],
    ),
    ("mock", True, ["create_task_1", "update_task_with_initialization_actions", "impossible_task_1"]),
]


@pytest.mark.parametrize("domain, solo, task_ids", GOLD_SAMPLES)
def test_gold_replay_scores_one_through_the_runner(domain, solo, task_ids, out_dir):
    records = run_episodes(
        agent_builder=gold_agent_builder(),
        domain=domain,
        task_ids=task_ids,
        solo=solo,
        user="scripted",
        out=out_dir,
        config_name="gold",
        progress=False,
    )
    assert [r["task_id"] for r in records] == task_ids
    for r in records:
        assert r["error"] is None, r["error"]
        assert r["reward"] == 1.0 and r["success"], (r["task_id"], r["reward_breakdown"], r["reward_details"])
        assert r["termination"] == ("agent_stop" if solo else "user_stop")
        assert r["totals"]["invalid_actions"] == 0 and r["totals"]["fallbacks"] == 0
        if r["gold_actions"] is not None:
            assert r["gold_actions"]["missed"] == []
        assert r["user_in_role"] is (None if solo else True)
        assert r["messages"] and r["decisions"]
    assert len(read_jsonl(out_dir / EPISODES_FILE)) == len(task_ids)


def test_a_failed_replay_scores_zero_with_the_reason(out_dir):
    # Calling the right tool with the wrong title must fail the DB check.
    agent = lambda: ScriptedAgent([call("create_task", user_id="user_1", title="Wrong"), say("Created.")])
    [r] = run_episodes(
        agent,
        domain="mock",
        task_ids=["create_task_1"],
        user="scripted",
        out=out_dir,
        config_name="wrong",
        progress=False,
    )
    assert r["reward"] == 0.0 and r["reward_breakdown"]["DB"] == 0.0
    assert r["gold_actions"] == {"matched": [], "missed": ["create_1"]}


def test_record_fields(out_dir):
    agent = lambda: ScriptedAgent([call("nope"), call("get_users"), RuntimeError("boom"), say("All set.")])
    [r] = run_episodes(
        agent,
        domain="mock",
        task_ids=["create_task_1"],
        user="scripted",
        out=out_dir,
        config_name="cfg",
        seeds=[11],
        max_steps=40,
        progress=False,
    )
    for field in (
        "config",
        "agent",
        "domain",
        "split",
        "task_id",
        "trial",
        "seed",
        "solo",
        "user",
        "reward",
        "reward_breakdown",
        "reward_details",
        "termination",
        "steps",
        "duration_s",
        "decisions",
        "totals",
        "user_in_role",
        "user_role_issues",
        "error",
        "messages",
        "gold_actions",
    ):
        assert field in r
    assert (r["config"], r["agent"], r["split"], r["seed"], r["trial"], r["user"]) == (
        "cfg",
        "fama",
        "base",
        11,
        0,
        "scripted",
    )
    # The invalid call was re-asked (not executed), the exception became a fallback message, and
    # the episode went on to the user's stop.
    assert r["termination"] == "user_stop" and r["error"] is None
    totals = r["totals"]
    assert totals["invalid_actions"] == 1 and totals["agent_exceptions"] == 1 and totals["fallbacks"] == 1
    assert totals["decisions"] == 2 and totals["specialists"] == {"MEM": 1}
    assert totals["lm_calls"] == 2 and totals["prompt_tokens"] == 20
    tool_calls = [c["name"] for m in r["messages"] if m.get("tool_calls") for c in m["tool_calls"]]
    assert tool_calls == ["get_users"]  # "nope" never reached τ²
    json.dumps(r)


def test_repeated_calls_are_counted(out_dir):
    create = call("create_task", user_id="user_1", title="Important Meeting")
    agent = lambda: ScriptedAgent([call("get_users"), call("get_users"), create, create, say("Done.")])
    [r] = run_episodes(
        agent,
        domain="mock",
        task_ids=["create_task_1"],
        user="scripted",
        out=out_dir,
        config_name="rep",
        progress=False,
    )
    assert r["totals"]["repeated_calls"] == 2 and r["totals"]["repeated_writes"] == 1
    assert r["reward"] == 0.0  # the duplicate task changes the DB


def _counting_factory(script, fail_after=None):
    calls = {"n": 0}
    lock = threading.Lock()

    def factory():
        with lock:
            calls["n"] += 1
            if fail_after is not None and calls["n"] > fail_after:
                raise RuntimeError("simulated crash")
        return ScriptedAgent(script)

    return factory, calls


MOCK_IDS = ["create_task_1", "update_task_1", "impossible_task_1"]
SCRIPT = [say("Done, goodbye.")]


def test_rerun_skips_finished_episodes(out_dir):
    factory, calls = _counting_factory(SCRIPT)
    first = run_episodes(
        factory,
        domain="mock",
        task_ids=MOCK_IDS,
        trials=2,
        user="scripted",
        out=out_dir,
        config_name="c",
        progress=False,
    )
    assert calls["n"] == 6 and len(first) == 6
    factory2, calls2 = _counting_factory(SCRIPT)
    second = run_episodes(
        factory2,
        domain="mock",
        task_ids=MOCK_IDS,
        trials=2,
        user="scripted",
        out=out_dir,
        config_name="c",
        progress=False,
    )
    assert calls2["n"] == 0 and second == first
    assert len(read_jsonl(out_dir / EPISODES_FILE)) == 6
    # Another config in the same folder is a different key.
    run_episodes(
        factory2,
        domain="mock",
        task_ids=MOCK_IDS[:1],
        user="scripted",
        out=out_dir,
        config_name="other",
        progress=False,
    )
    assert calls2["n"] == 1 and len(load_episodes(out_dir)) == 7


@pytest.mark.parametrize("concurrency", [1, 3])
def test_crash_mid_run_loses_nothing_finished_and_resumes(out_dir, concurrency):
    factory, _calls = _counting_factory(SCRIPT, fail_after=2)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_episodes(
            factory,
            domain="mock",
            task_ids=MOCK_IDS,
            trials=2,
            user="scripted",
            out=out_dir,
            config_name="c",
            concurrency=concurrency,
            progress=False,
        )
    saved = read_jsonl(out_dir / EPISODES_FILE)
    assert len(saved) == 2
    factory2, calls2 = _counting_factory(SCRIPT)
    records = run_episodes(
        factory2,
        domain="mock",
        task_ids=MOCK_IDS,
        trials=2,
        user="scripted",
        out=out_dir,
        config_name="c",
        concurrency=concurrency,
        progress=False,
    )
    assert calls2["n"] == 4
    lines = read_jsonl(out_dir / EPISODES_FILE)
    keys = [(r["task_id"], r["trial"]) for r in lines]
    assert len(lines) == 6 and len(set(keys)) == 6
    assert [(r["task_id"], r["trial"]) for r in records] == [(t, k) for k in range(2) for t in MOCK_IDS]


def test_torn_last_line_is_skipped_and_not_glued_to_the_next_record(out_dir):
    factory, _ = _counting_factory(SCRIPT)
    run_episodes(
        factory,
        domain="mock",
        task_ids=MOCK_IDS[:1],
        user="scripted",
        out=out_dir,
        config_name="c",
        progress=False,
    )
    with open(out_dir / EPISODES_FILE, "a") as fh:
        fh.write('{"config": "c", "task_id": "upd')  # a crash in the middle of a write
    run_episodes(
        factory,
        domain="mock",
        task_ids=MOCK_IDS[:2],
        user="scripted",
        out=out_dir,
        config_name="c",
        progress=False,
    )
    assert [r["task_id"] for r in read_jsonl(out_dir / EPISODES_FILE)] == MOCK_IDS[:2]


class RaisingTau2Agent(LocalAgent):
    """Fails inside τ²'s loop, like τ²'s LLMAgent on a malformed tool-call JSON."""

    def __init__(self, tools, domain_policy, exc):
        super().__init__(tools, domain_policy)
        self.exc = exc

    def get_init_state(self, message_history=None):
        return None

    def generate_next_message(self, message, state):
        raise self.exc


def _raising_builder(exc):
    return lambda task, env, solo: RaisingTau2Agent(agent_tools(env, solo), env.get_policy(), exc)


def test_tau2_exceptions_are_recorded_per_episode_not_scored_silently(out_dir):
    exc = json.JSONDecodeError("Expecting value", "{bad", 0)
    records = run_episodes(
        agent_builder=_raising_builder(exc),
        domain="mock",
        task_ids=MOCK_IDS[:2],
        user="scripted",
        out=out_dir,
        config_name="raising",
        progress=False,
    )
    assert len(records) == 2
    for r in records:
        assert r["termination"] == "error" and r["reward"] == 0.0 and not r["success"]
        assert r["error"].startswith("JSONDecodeError") and r["error_stage"] == "simulation"
        assert r["messages"]  # the partial trajectory is kept for failure analysis


def test_retry_errors_reruns_only_errored_keys(out_dir):
    exc = ValueError("empty reply")
    run_episodes(
        agent_builder=_raising_builder(exc),
        domain="mock",
        task_ids=MOCK_IDS[:1],
        user="scripted",
        out=out_dir,
        config_name="c",
        progress=False,
    )
    factory, calls = _counting_factory(SCRIPT)
    run_episodes(
        factory,
        domain="mock",
        task_ids=MOCK_IDS[:1],
        user="scripted",
        out=out_dir,
        config_name="c",
        progress=False,
    )
    assert calls["n"] == 0  # an error is a finished episode unless asked
    [r] = run_episodes(
        factory,
        domain="mock",
        task_ids=MOCK_IDS[:1],
        user="scripted",
        out=out_dir,
        config_name="c",
        retry_errors=True,
        progress=False,
    )
    assert calls["n"] == 1 and r["error"] is None
    assert len(load_episodes(out_dir)) == 1 and len(read_jsonl(out_dir / EPISODES_FILE)) == 2


def test_refused_connection_stops_the_run_without_recording(out_dir):
    agent = lambda: ScriptedAgent([ConnectionRefusedError(111, "Connection refused")])
    with pytest.raises(EndpointUnreachableError, match="rerun the same command"):
        run_episodes(
            agent,
            domain="mock",
            task_ids=MOCK_IDS,
            user="scripted",
            out=out_dir,
            config_name="c",
            progress=False,
        )
    assert read_jsonl(out_dir / EPISODES_FILE) == []


def test_tau2_reference_agent_runs_through_the_same_runner(out_dir):
    [r] = run_episodes(
        agent_llm="openai/offline-mock",
        agent_llm_args={"mock_response": "Hello, all done."},
        domain="mock",
        task_ids=["create_task_1"],
        user="scripted",
        out=out_dir,
        progress=False,
    )
    assert (r["config"], r["agent"], r["error"]) == ("tau2-llm-agent", "tau2-llm-agent", None)
    assert r["decisions"][0]["action"] == {
        "kind": "message",
        "tool_name": "",
        "arguments": {},
        "message": "Hello, all done.",
    }
    assert r["totals"]["prompt_tokens"] > 0 and r["termination"] == "user_stop"


def test_tau2_reference_agent_empty_reply_is_an_error_record(out_dir):
    [r] = run_episodes(
        agent_llm="openai/offline-mock",
        agent_llm_args={"mock_response": "", "num_retries": 0},
        domain="mock",
        task_ids=["create_task_1"],
        user="scripted",
        out=out_dir,
        progress=False,
    )
    assert r["termination"] == "error" and r["reward"] == 0.0 and r["error"]


def test_argument_errors():
    with pytest.raises(ConfigError, match="exactly one"):
        run_episodes(domain="mock", out="unused", config_name="x")
    with pytest.raises(ConfigError, match="config_name"):
        run_episodes(lambda: None, domain="mock", out="unused")
    with pytest.raises(ConfigError, match="unknown user"):
        run_episodes(lambda: None, domain="mock", out="unused", config_name="x", user="robot")
    with pytest.raises(ConfigError, match="needs a model"):
        run_episodes(lambda: None, domain="mock", out="unused", config_name="x", user="tau2")


def test_fama_user_without_any_model_stops_the_run(out_dir):
    import dspy

    with dspy.context(lm=None), pytest.raises(ConfigError, match="fama user simulator needs a model"):
        run_episodes(
            agent_builder=gold_agent_builder(),
            domain="mock",
            task_ids=MOCK_IDS[:1],
            user="fama",
            out=out_dir,
            config_name="c",
            progress=False,
        )
    assert read_jsonl(out_dir / EPISODES_FILE) == []


def test_default_seeds_match_tau2():
    import random

    random.seed(300)
    assert default_seeds(3) == [random.randint(0, 1_000_000) for _ in range(3)]
