"""Episodes through ``get_benchmark("tau-trait").run_episodes``: records, resuming, a fama-dspy agent."""

from __future__ import annotations

import httpx
import pytest
from scripted_lm import action_reply

from benchmarks.tau_trait.helpers import ScriptAgent, call, say
from fama_dspy.benchmarks import EpisodeRequest, get_benchmark
from fama_dspy.benchmarks.tau_trait.customers import CONFIRM_ANSWER, TRAIT_NOTE
from fama_dspy.configs import build_agent
from fama_dspy.errors import ConfigError, EndpointUnreachableError
from fama_dspy.results.records import load_episodes

#: What the report and the analysis read from an episode record (τ²'s runner writes the same).
RECORD_FIELDS = {
    "benchmark",
    "config",
    "agent",
    "domain",
    "split",
    "task_id",
    "trial",
    "seed",
    "solo",
    "user",
    "max_steps",
    "reward",
    "success",
    "reward_breakdown",
    "reward_details",
    "termination",
    "steps",
    "duration_s",
    "decisions",
    "totals",
    "error",
    "messages",
    "user_in_role",
    "gold_actions",
}


def request(out, **fields) -> EpisodeRequest:
    return EpisodeRequest(
        **{"domain": "telehealth", "out": out, "user": "scripted", "progress": False, **fields}
    )


def test_a_scripted_fama_dspy_agent_runs_one_episode_end_to_end(scripted, out_dir):
    engine = scripted(
        {
            "agent": [
                action_reply(
                    kind="tool_call",
                    tool_name="find_patient_by_email",
                    arguments={"email": "david.martinez@email.com"},
                ),
                action_reply(
                    kind="tool_call",
                    tool_name="get_appointment_details",
                    arguments={"appointment_id": "APPT005"},
                ),
                action_reply(
                    kind="message", message="Appointment APPT005 is already cancelled; nothing else to do."
                ),
            ]
        }
    )
    [record] = get_benchmark("tau-trait").run_episodes(
        request(out_dir, config_name="react", task_ids=["train-0"]), lambda: build_agent("react")
    )
    assert RECORD_FIELDS <= set(record)
    assert (record["benchmark"], record["agent"], record["config"], record["split"]) == (
        "tau-trait",
        "fama",
        "react",
        "base",
    )
    assert record["reward"] == 1.0 and record["success"] and record["termination"] == "user_stop"
    assert record["reward_breakdown"] == {"db": 1.0} and record["reward_details"]["note"] == TRAIT_NOTE
    assert [m["role"] for m in record["messages"]] == [
        "user",
        "assistant",
        "tool",
        "assistant",
        "tool",
        "assistant",
        "user",
    ]
    assert record["messages"][2]["content"] == "david_martinez_5678"
    assert record["totals"]["decisions"] == 3 and record["totals"]["lm_calls"] == 3
    assert record["gold_actions"] == {"matched": ["0", "1"], "missed": []}
    assert record["seed"] == 10 and record["solo"] is False and record["user_in_role"]
    prompt = engine.of("agent")[0].prompt
    assert "Telehealth Agent Policy" in prompt and "find_patient_by_email(email: string*)" in prompt


def test_records_are_resumed_by_config_task_and_trial(out_dir):
    bench = get_benchmark("tau-trait")
    built = []

    def builder(task):
        built.append(task.id)
        return ScriptAgent([say("Sorry, I cannot help with that.")])

    first = bench.run_episodes(
        request(out_dir, config_name="sorry", num_tasks=2, trials=2, extra={"agent_builder": builder})
    )
    assert [(r["task_id"], r["trial"]) for r in first] == [
        ("train-0", 0),
        ("dev-0", 0),
        ("train-0", 1),
        ("dev-0", 1),
    ]
    again = bench.run_episodes(
        request(out_dir, config_name="sorry", num_tasks=2, trials=2, extra={"agent_builder": builder})
    )
    assert len(built) == 4 and again == first
    more = bench.run_episodes(
        request(out_dir, config_name="sorry", num_tasks=3, extra={"agent_builder": builder})
    )
    assert len(built) == 5 and [r["task_id"] for r in more] == ["train-0", "dev-0", "test-0"]
    assert len(load_episodes(out_dir)) == 5


def test_an_episode_error_is_recorded_retried_on_request_and_a_refused_connection_stops_the_run(
    out_dir, monkeypatch
):
    from fama_dspy.benchmarks.tau_trait import runner

    class Customer:
        def opening(self):
            raise RuntimeError("no words")

    bench = get_benchmark("tau-trait")
    sorry = {"agent_builder": lambda t: ScriptAgent([say("Sorry.")])}
    monkeypatch.setattr(runner, "customer_builder", lambda *a, **k: lambda task, seed=None: Customer())
    [record] = bench.run_episodes(request(out_dir, config_name="flaky", task_ids=["train-0"], extra=sorry))
    assert record["termination"] == "error" and record["error"] == "RuntimeError: no words"
    assert record["reward"] == 0.0 and not record["success"]
    monkeypatch.undo()
    [kept] = bench.run_episodes(request(out_dir, config_name="flaky", task_ids=["train-0"], extra=sorry))
    assert kept["error"] == "RuntimeError: no words"
    [retried] = bench.run_episodes(
        request(out_dir, config_name="flaky", task_ids=["train-0"], extra=sorry, retry_errors=True)
    )
    assert retried["error"] is None and retried["reward"] == 1.0

    def refused(state):
        raise httpx.ConnectError("refused")

    with pytest.raises(EndpointUnreachableError):
        bench.run_episodes(
            request(
                out_dir, config_name="down", task_ids=["train-0"], extra={"agent_builder": lambda t: refused}
            )
        )
    assert not [r for r in load_episodes(out_dir) if r["config"] == "down"]


def test_the_scripted_customer_confirms_then_ends(out_dir):
    actions = [
        call("find_patient_by_name_dob", first_name="Sarah", last_name="Johnson", date_of_birth="1985-03-15"),
        say("Shall I book Dr. Garcia on 2025-09-23 at 10:00? Please confirm."),
        call(
            "schedule_appointment",
            patient_id="sarah_johnson_1234",
            provider_id="dr_garcia_primary",
            date="2025-09-23",
            time="10:00",
            appointment_type="follow_up",
        ),
        say("Booked."),
    ]
    [record] = get_benchmark("tau-trait").run_episodes(
        request(
            out_dir,
            config_name="polite",
            task_ids=["test-0"],
            extra={"agent_builder": lambda t: ScriptAgent(actions)},
        )
    )
    users = [m["content"] for m in record["messages"] if m["role"] == "user"]
    assert users[1] == CONFIRM_ANSWER and record["reward"] == 1.0


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"solo": True}, "no solo mode"),
        ({"user": "tau2"}, "not 'tau2'"),
        ({"extra": {"agent": "gold", "temperature": 1}}, "does not know the episode setting"),
        ({"extra": {"agent": "oracle"}}, "unknown τ-trait agent"),
        ({"split": "dev"}, "unknown split"),
    ],
)
def test_bad_requests_are_refused(fields, message, out_dir):
    fields = {"extra": {"agent": "gold"}, **fields}
    with pytest.raises(ConfigError, match=message):
        get_benchmark("tau-trait").run_episodes(request(out_dir, **fields))


def test_a_factory_needs_a_config_name(out_dir):
    with pytest.raises(ConfigError, match="config_name is required"):
        get_benchmark("tau-trait").run_episodes(request(out_dir), lambda: build_agent("react"))


def test_each_trial_tells_the_agent_its_seed_so_it_samples_anew(out_dir):
    seeded = []

    class SeedTaking(ScriptAgent):
        def set_seed(self, seed):
            seeded.append(seed)

    records = get_benchmark("tau-trait").run_episodes(
        request(
            out_dir,
            config_name="seeded",
            task_ids=["train-0"],
            trials=2,
            seeds=[3, 4],
            extra={"agent_builder": lambda task: SeedTaking([say("Sorry, I cannot help with that.")])},
        )
    )
    assert sorted(seeded) == [3, 4] and [r["seed"] for r in records] == [3, 4]
