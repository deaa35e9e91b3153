"""Our reward equals τ-trait's own (``Env.step`` / ``Env.calculate_reward`` from the checkout) on
recorded runs of scripted agents with different outcomes."""

from __future__ import annotations

import pytest

from benchmarks.tau_trait.helpers import call, run_scripted, say
from benchmarks.tau_trait.tau_trait_env import tau_trait_verdict
from fama_dspy.benchmarks.tau_trait.data import load_domain
from fama_dspy.benchmarks.tau_trait.reward import output_found


def gold_calls(domain: str, task_id: str, *, skip: tuple[str, ...] = ()) -> list:
    task = load_domain(domain).task(task_id)
    return [call(a.name, **a.kwargs) for a in task.actions if a.name not in skip]


def with_time(actions: list, time: str) -> list:
    return [call(a.tool_name, **{**a.arguments, "time": time}) for a in actions]


CASES = {
    # name: (domain, task, agent actions (built when the test runs), expected reward, expected termination)
    "gold write": (
        "telehealth",
        "test-0",
        lambda: gold_calls("telehealth", "test-0") + [say("Booked.")],
        1.0,
        "user_stop",
    ),
    "wrong record written": (
        "telehealth",
        "test-0",
        lambda: with_time(gold_calls("telehealth", "test-0"), "14:00") + [say("Booked.")],
        0.0,
        "user_stop",
    ),
    "a write left out": (
        "telehealth",
        "test-5",
        lambda: gold_calls("telehealth", "test-5", skip=("schedule_appointment",)) + [say("Done.")],
        0.0,
        "user_stop",
    ),
    "nothing done, writes expected": (
        "telehealth",
        "test-8",
        lambda: [say("Sorry, I cannot help.")],
        0.0,
        "user_stop",
    ),
    "nothing done, read-only task": (
        "telehealth",
        "train-0",
        lambda: [say("Sorry, I cannot help.")],
        1.0,
        "user_stop",
    ),
    "ended by the terminate tool": (
        "telehealth",
        "test-2",
        lambda: gold_calls("telehealth", "test-2"),
        1.0,
        "agent_stop",
    ),
    "an output omitted": (
        "telecom",
        "test-16",
        lambda: gold_calls("telecom", "test-16") + [say("Payment recorded for lisa_chen_3456.")],
        0.0,
        "user_stop",
    ),
    "outputs in other case, with commas": (
        "telecom",
        "test-5",
        lambda: gold_calls("telecom", "test-5") + [say("Ticket002 is OPEN, priority: HIGH.")],
        1.0,
        "user_stop",
    ),
    "a tool error, then the outputs": (
        "telecom",
        "test-9",
        lambda: [
            call("troubleshoot_device", device_name="WiFi 6 Router", issue="broken"),
            say("Restart it, check the cable, update firmware, call support; the router is $120.00."),
        ],
        1.0,
        "user_stop",
    ),
    "wrong device added": (
        "telecom",
        "test-12",
        lambda: [
            call("add_device", customer_id="lisa_chen_3456", device_name='55" Smart TV'),
            call(
                "manage_service",
                customer_id="lisa_chen_3456",
                action="add",
                service_id="tv_basic",
                devices_ids=["3"],
            ),
            say("Done."),
        ],
        0.0,
        "user_stop",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_reward_matches_tau_traits_own(name, tmp_path):
    domain, task_id, actions, expected, termination = CASES[name]
    record = run_scripted(domain, task_id, actions(), tmp_path, config=name)
    assert record["error"] is None and record["termination"] == termination
    assert not any(d["fallback"] or d["invalid_actions"] for d in record["decisions"])
    theirs = tau_trait_verdict(record)
    details = record["reward_details"]
    assert (record["reward"], theirs["reward"]) == (expected, expected)
    assert details["data_hash"] == theirs["data_hash"]
    if "outputs" in theirs:  # τ-trait reports the output check instead of the hash when there are outputs
        assert details["outputs"] == theirs["outputs"] and details["r_outputs"] == theirs["r_outputs"]
    else:
        assert details["gold_data_hash"] == theirs["gt_data_hash"]
        assert details["db_match"] == bool(theirs["r_actions"])


def test_an_episode_cut_by_the_step_limit_scores_zero_as_in_tau_trait(tmp_path):
    """τ-trait's agents return reward 0 when they run out of steps: the reward is never computed."""
    record = run_scripted(
        "telehealth", "train-0", [call("think", thought="hm")], tmp_path, "chatty", max_steps=3
    )
    assert (
        record["termination"] == "max_steps" and record["reward"] == 0.0 and record["reward_breakdown"] == {}
    )
    assert record["reward_details"]["evaluated"] is False and record["reward_details"]["db_match"] is True


def test_the_output_check_lowercases_and_drops_only_the_replys_commas():
    assert output_found("TICKET002", ["ticket002 is open"])
    assert output_found("1234.00", ["You owe $1,234.00."])
    assert not output_found("Smith, John", ["Smith, John"])  # the output keeps its comma, as in τ-trait
