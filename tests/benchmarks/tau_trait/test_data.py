"""Loading τ-trait domains from the checkout, the splits, and the test-split guard."""

from __future__ import annotations

import sys

import pytest
from fama_dspy.optimizers.dataset import guard_split

from fama_dspy.benchmarks import Benchmark, get_benchmark
from fama_dspy.benchmarks.tau_trait.data import DOMAINS, load_domain
from fama_dspy.benchmarks.tau_trait.tasks import load_tasks, opening_request, request_text, task_splits
from fama_dspy.errors import ConfigError

#: Tasks per file, as the checkout ships them (telecom's dev file names its list TASKS_TEST).
TASK_COUNTS = {
    "telehealth": {"train": 1, "dev": 1, "test": 20},
    "telecom": {"train": 1, "dev": 8, "test": 18},
    "airline": {"test": 60},
    "retail": {"train": 500, "dev": 20, "test": 120},
}


@pytest.mark.parametrize("domain", DOMAINS)
def test_each_domain_loads_its_policy_tools_data_and_tasks(domain):
    path_before = list(sys.path)
    loaded = load_domain(domain)
    counts = {}
    for task in loaded.tasks:
        counts[task.file] = counts.get(task.file, 0) + 1
    assert counts == TASK_COUNTS[domain]
    assert loaded.policy.startswith("# ") and "policy" in loaded.policy.lower()
    assert loaded.tools and all(callable(getattr(t, "invoke", None)) for t in loaded.tools.values())
    assert loaded.fresh_data() == loaded.fresh_data() and loaded.fresh_data() is not loaded.fresh_data()
    # The import is contained: no τ-trait module names and no search path left behind.
    assert not [m for m in sys.modules if m == "tau_trait" or m.startswith("tau_trait.")]
    assert sys.path == path_before


def test_terminate_tools_are_read_from_env_py_and_telecom_offers_none():
    telehealth, telecom = load_domain("telehealth"), load_domain("telecom")
    assert telehealth.terminate_tools == ("transfer_to_human_support",)
    assert telehealth.agent_stop_tool == "transfer_to_human_support"
    # telecom's env.py names the tool, but its ALL_TOOLS no longer has it.
    assert telecom.terminate_tools == ("transfer_to_human_support",) and telecom.agent_stop_tool is None
    assert load_domain("airline").agent_stop_tool == "transfer_to_human_agents"


def test_tasks_keep_their_gold_actions_and_outputs():
    task = load_domain("telecom").task("test-16")
    assert (task.file, task.index, task.user_id) == ("test", 16, "lisa_chen_3456")
    assert [a.name for a in task.actions][:3] == [
        "find_customer_by_phone",
        "get_billing_details",
        "record_payment",
    ]
    assert task.outputs == ["lisa_chen_3456", "0.00"]


@pytest.mark.parametrize(
    "domain, train, test", [("telehealth", 12, 10), ("telecom", 18, 9), ("airline", 30, 30)]
)
def test_splits_hold_back_the_second_half_of_the_official_test_file(domain, train, test):
    splits = task_splits(domain)
    official = [t.id for t in load_domain(domain).tasks if t.file == "test"]
    assert (len(splits["train"]), len(splits["test"])) == (train, test)
    assert splits["official-test"] == official
    assert splits["test"] == official[len(official) // 2 :]
    assert not set(splits["train"]) & set(splits["test"])
    assert set(splits["train"]) | set(splits["test"]) == set(splits["base"])
    assert set(splits["official-test"]) & set(splits["train"])  # the overlap the guard must catch


def test_the_guard_refuses_every_split_holding_test_tasks():
    for split in ("test", "official-test", "base", None):
        with pytest.raises(ConfigError, match="allow-test-split"):
            guard_split(split, allow_test=False, domain="telehealth", benchmark="tau-trait")
        assert guard_split(split, allow_test=True, domain="telehealth", benchmark="tau-trait") == split
    assert guard_split("train", allow_test=False, domain="telecom", benchmark="tau-trait") == "train"


def test_the_benchmark_implements_the_protocol():
    bench = get_benchmark("tau-trait")
    assert isinstance(bench, Benchmark) and bench.name == "tau-trait"
    assert bench.solo_domains == () and bench.interactive_domains == DOMAINS
    assert bench.checkout.env_var == "FAMA_TAU_TRAIT_DIR"
    assert bench.task_ids("telehealth", "train", num_tasks=3) == ["train-0", "dev-0", "test-0"]
    assert bench.task_ids("telecom", "test", task_ids=["test-17", "test-9"]) == ["test-17", "test-9"]
    assert bench.normalize_split("telecom", None) == "base"
    with pytest.raises(ConfigError, match="not in τ-trait telecom/test"):
        bench.task_ids("telecom", "test", task_ids=["test-0"])
    with pytest.raises(ConfigError, match="unknown split"):
        bench.task_ids("telecom", "dev")
    with pytest.raises(ConfigError, match="unknown τ-trait domain"):
        bench.check_domain("banking")
    with pytest.raises(ConfigError, match="no solo mode"):
        bench.task_ids("telecom", solo=True)


def test_the_request_is_in_the_customers_first_person():
    task = load_tasks("telehealth", task_ids=["train-0"])[0]
    assert request_text(task).startswith("I am David Martinez, email david.martinez@email.com.")
    assert "I want to cancel appointment APPT005" in request_text(task)
    assert opening_request(task) == "I am David Martinez, email david.martinez@email.com."
    mira = load_tasks("telehealth", task_ids=["test-3"])[0]
    assert opening_request(mira).startswith("My user id is mira_desai_3471 and my email address")
