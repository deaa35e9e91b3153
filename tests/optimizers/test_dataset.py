import dspy
import pytest
from fama_dspy.optimizers import dataset as ds_mod
from fama_dspy.optimizers.dataset import (
    build_decision_dataset,
    dataset_dir,
    guard_split,
    load_or_build,
    split_by_task,
    to_examples,
)
from fama_dspy.signatures.action import AgentAction

from fama_dspy.benchmarks.tau2.decision_points import iter_decision_points
from fama_dspy.conversation import DecisionState
from fama_dspy.errors import ConfigError

# Airline train tasks: two lookups each (1, 3), and one with a confirmed write among its points (7).
AIRLINE_IDS = ["1", "3", "7"]


@pytest.fixture(scope="module")
def airline_points():
    return iter_decision_points("airline", "train", task_ids=AIRLINE_IDS)


def test_rows_mirror_the_gold_decision_points(airline_points):
    ds = build_decision_dataset("airline", "train", task_ids=AIRLINE_IDS)
    assert len(ds) == len(airline_points) > len(AIRLINE_IDS)
    examples = to_examples(ds)
    for point, row, example in zip(airline_points, ds, examples):
        assert row["point_id"] == point.id and row["task_id"] == point.task_id and row["index"] == point.index
        assert set(example.inputs().keys()) == {"state"}
        assert isinstance(example.state, DecisionState) and example.state == point.state
        assert isinstance(example.gold, AgentAction) and example.gold == point.gold
        assert (example.compare_args, example.writes, example.derivable) == (
            point.compare_args,
            point.writes,
            point.derivable,
        )
    # The write point comes after the confirmation exchange the harness inserts.
    writes = [e for e in examples if e.writes]
    assert writes and all(e.state.messages[-1].role == "user" for e in writes)


def test_the_dataset_is_stored_and_reused(tmp_path, monkeypatch):
    first = load_or_build("airline", "train", task_ids=AIRLINE_IDS[:2], root=tmp_path)
    path = dataset_dir("airline", "train", task_ids=AIRLINE_IDS[:2], root=tmp_path)
    assert (path / "dataset_info.json").exists()

    def no_rebuild(*a, **k):
        raise AssertionError("the stored dataset should have been reused")

    monkeypatch.setattr(ds_mod, "build_decision_dataset", no_rebuild)
    again = load_or_build("airline", "train", task_ids=AIRLINE_IDS[:2], root=tmp_path)
    assert again["point_id"] == first["point_id"] and again["state"] == first["state"]
    # Other parameters are another dataset: it is built, not confused with the stored one.
    with pytest.raises(AssertionError, match="reused"):
        load_or_build("airline", "train", task_ids=AIRLINE_IDS[:1], root=tmp_path)


def test_saving_is_quiet_and_leaves_the_progress_bar_setting_as_it_was(tmp_path, capfd):
    import datasets

    ds = datasets.Dataset.from_dict({"point_id": ["a", "b"]})
    assert not datasets.are_progress_bars_disabled()
    ds_mod.save_decision_dataset(ds, tmp_path / "d")
    assert "Saving the dataset" not in capfd.readouterr().err
    assert not datasets.are_progress_bars_disabled()
    datasets.disable_progress_bars()
    try:
        ds_mod.save_decision_dataset(ds, tmp_path / "e")
        assert datasets.are_progress_bars_disabled()
    finally:
        datasets.enable_progress_bars()


def test_solo_points_carry_the_ticket():
    examples = to_examples(build_decision_dataset("mock", "base", task_ids=["create_task_1"], solo=True))
    assert examples and all(e.solo and e.state.ticket for e in examples)
    assert "done" in {t.name for t in examples[0].state.tools}


def _examples(tasks, per_task=3):
    return [
        dspy.Example(domain="d", task_id=t, index=i).with_inputs() for t in tasks for i in range(per_task)
    ]


def test_split_by_task_keeps_tasks_whole_and_is_deterministic():
    examples = _examples([str(i) for i in range(10)])
    kept, held = split_by_task(examples, 0.3, seed=0)
    assert len(held) == 9 and len(kept) == 21
    assert {e.task_id for e in kept}.isdisjoint({e.task_id for e in held})
    assert split_by_task(list(reversed(examples)), 0.3, seed=0)[1] == list(reversed(held))
    assert {e.task_id for e in split_by_task(examples, 0.3, seed=1)[1]} != {e.task_id for e in held}
    # Two tasks: one on each side, whatever the fraction.
    kept, held = split_by_task(_examples(["a", "b"]), 0.01)
    assert len({e.task_id for e in kept}) == len({e.task_id for e in held}) == 1
    with pytest.raises(ConfigError):
        split_by_task(examples, 1.5)


@pytest.mark.parametrize("split", ["test", "TEST", None, "base", "all"])
def test_guard_refuses_splits_with_test_tasks(split):
    with pytest.raises(ConfigError, match="allow-test-split"):
        guard_split(split, allow_test=False)
    assert guard_split(split, allow_test=True) == split


def test_guard_checks_the_domains_own_splits():
    assert guard_split("train", False, domain="airline") == "train"
    with pytest.raises(ConfigError, match="test task"):
        guard_split("base", False, domain="airline")
    assert guard_split("base", False, domain="mock") == "base"  # mock has no test split
    with pytest.raises(ConfigError, match="allow-test-split"):
        build_decision_dataset("airline", "test", num_tasks=1)
    assert len(build_decision_dataset("airline", "test", task_ids=["2"], allow_test_split=True)) >= 1
