import pytest
from rich.console import Console

from fama_dspy.results.summary import pass_hat_k, print_summaries, summarize, summarize_groups


def _records(outcomes, config="c"):
    """outcomes: {task_id: [reward per trial]} -> minimal episode records."""
    return [
        {
            "config": config,
            "domain": "airline",
            "split": "test",
            "solo": False,
            "user": "fama",
            "task_id": task,
            "trial": trial,
            "reward": reward,
            "error": None,
            "termination": "user_stop",
            "user_in_role": True,
            "decisions": [
                {"usage": {"prompt_tokens": 100, "completion_tokens": 10}, "latency_s": 2.0, "lm_calls": 1}
            ],
            "totals": {"invalid_actions": 1},
            "duration_s": 5.0,
        }
        for task, rewards in outcomes.items()
        for trial, reward in enumerate(rewards)
    ]


# Hand computation, 3 tasks x 3 trials with 2, 0 and 3 successes:
# pass^1 = (2/3 + 0 + 1) / 3 = 5/9; pass^2 = (C(2,2)/C(3,2) + 0 + 1) / 3 = (1/3 + 1) / 3 = 4/9;
# pass^3 = (0 + 0 + 1) / 3 = 1/3.
OUTCOMES = {"a": [1.0, 0.0, 1.0], "b": [0.0, 0.0, 0.0], "c": [1.0, 1.0, 1.0]}


def test_pass_hat_k_matches_hand_computation():
    records = _records(OUTCOMES)
    assert pass_hat_k(records, 1) == pytest.approx(5 / 9)
    assert pass_hat_k(records, 2) == pytest.approx(4 / 9)
    assert pass_hat_k(records, 3) == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        pass_hat_k(records, 4)


def test_pass_hat_k_success_threshold_and_short_tasks():
    # τ² counts a success only within 1e-6 of reward 1; partial rewards are failures.
    records = _records({"a": [0.999, 1.0], "b": [1.0]})
    assert pass_hat_k(records, 1) == pytest.approx((0.5 + 1.0) / 2)
    assert pass_hat_k(records, 2) == pytest.approx(0.0)  # task b (1 trial) is left out of pass^2


def test_summary_is_plain_data():
    s = summarize(_records(OUTCOMES))
    assert s["episodes"] == 9 and s["tasks"] == 3 and s["errors"] == 0
    assert s["mean_reward"] == pytest.approx(5 / 9)
    assert list(s["pass_hat_k"]) == [1, 2, 3]
    assert s["per_task"]["airline/a"] == {"rewards": [1.0, 0.0, 1.0], "trials": 3, "successes": 2}
    assert s["per_decision"] == {
        "prompt_tokens": 100.0,
        "completion_tokens": 10.0,
        "seconds": 2.0,
        "lm_calls": 1.0,
    }
    assert s["invalid_actions"] == 9 and s["user_in_role_rate"] == 1.0


def test_groups_and_table():
    records = _records(OUTCOMES, "fama") + _records({"a": [0.0], "b": [1.0]}, "baseline")
    summaries = summarize_groups(records)
    assert [s["config"] for s in summaries] == ["fama", "baseline"]
    console = Console(record=True, width=250)
    print_summaries(summaries, console=console)
    text = console.export_text()
    assert "pass^3" in text and "fama" in text and "baseline" in text and "0.556" in text
