import pytest

from fama_dspy.benchmarks.tau2.tasks import load_tasks, normalize_split, task_splits, user_request_text
from fama_dspy.errors import ConfigError


def test_split_sizes_match_design():
    assert {k: len(v) for k, v in task_splits("airline").items()} == {"train": 30, "test": 20, "base": 50}
    assert len(load_tasks("retail", "train")) == 74 and len(load_tasks("retail", "test")) == 40
    assert len(load_tasks("telecom", "small")) == 20
    assert len(load_tasks("telecom")) == 114  # default split: base


def test_mock_has_no_splits_every_split_is_all():
    assert len(load_tasks("mock", "train")) == len(load_tasks("mock", "test")) == len(load_tasks("mock")) == 9
    assert normalize_split("mock", "test") == "base"


def test_order_is_deterministic_and_selection_works():
    first = [t.id for t in load_tasks("airline", "train")]
    assert first == [t.id for t in load_tasks("airline", "train")]
    assert [t.id for t in load_tasks("airline", "train", num_tasks=3)] == first[:3]
    picked = [first[4], first[1]]
    assert [t.id for t in load_tasks("airline", "train", task_ids=picked)] == picked


def test_solo_keeps_only_tasks_tau2_can_run_solo():
    solo = [t.id for t in load_tasks("mock", solo=True)]
    assert len(solo) == 6 and "create_task_1_nl_eval" not in solo
    assert len(load_tasks("telecom", "small", solo=True)) == 20


def test_configuration_errors_are_readable():
    with pytest.raises(ConfigError, match="no solo mode"):
        load_tasks("airline", solo=True)
    with pytest.raises(ConfigError, match="unknown split"):
        load_tasks("airline", "validation")
    with pytest.raises(ConfigError, match="unknown domain"):
        load_tasks("banking")
    with pytest.raises(ConfigError, match="not in airline"):
        load_tasks("airline", "train", task_ids=["does-not-exist"])


def test_user_request_text_carries_what_the_user_knows():
    task = load_tasks("airline", task_ids=["3"])[0]
    text = user_request_text(task)
    assert "anya_garcia_5901" in text and "JMO1MG" in text


def test_opening_request_is_a_safe_first_sentence_in_the_first_person():
    from fama_dspy.benchmarks.tau2.tasks import opening_request

    [cancel, story] = load_tasks("airline", "base", task_ids=["0", "4"])
    assert opening_request(cancel) == "I want to cancel reservation EHGLP3."  # not the conditions after it
    assert opening_request(story) is None  # "make the agent issue a compensation…" is for the simulator only
    [exchange] = load_tasks("retail", "base", task_ids=["5"])
    assert opening_request(exchange) == "I want to exchange the water bottle and the desk lamp."
