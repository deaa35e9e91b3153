"""The benchmark registry and protocol: lookup by name, user registration, τ² through the interface."""

from __future__ import annotations

import pytest

from fama_dspy.benchmarks import (
    Benchmark,
    EpisodeRequest,
    available_benchmarks,
    get_benchmark,
    register_benchmark,
)
from fama_dspy.benchmarks import registry as registry_module
from fama_dspy.errors import ConfigError


class ToyBenchmark:
    name = "toy"
    domains = ("toys",)
    solo_domains = ("toys",)
    interactive_domains = ()
    checkout = None
    default_max_steps = 30

    def check_domain(self, domain):
        if domain not in self.domains:
            raise ConfigError(f"unknown domain {domain!r}")
        return domain

    def splits(self, domain):
        return {"train": ["a"], "test": ["b"]}

    def normalize_split(self, domain, split):
        return split or "train"

    def task_ids(self, domain, split=None, *, task_ids=None, num_tasks=None, solo=False):
        return self.splits(domain)[self.normalize_split(domain, split)]

    def decision_points(self, domain, split=None, *, task_ids=None, num_tasks=None, solo=False, **view):
        return []

    def default_seeds(self, trials):
        return list(range(trials))

    def run_episodes(self, request, agent_factory=None):
        return [{"task_id": t, "reward": 1.0} for t in self.task_ids(request.domain, request.split)]

    def analyze_run(self, run_dir, lm, judge_model_name, *, model, console=None, **settings):
        return [], None


@pytest.fixture
def clean_registry(monkeypatch):
    monkeypatch.setattr(registry_module, "_ENTRIES", dict(registry_module._ENTRIES))
    monkeypatch.setattr(registry_module, "_INSTANCES", dict(registry_module._INSTANCES))


def test_unknown_benchmark_names_the_choices():
    with pytest.raises(ConfigError, match="unknown benchmark 'nope'.*tau2"):
        get_benchmark("nope")


def test_a_registered_instance_is_found_and_runs(clean_registry, tmp_path):
    register_benchmark("toy", ToyBenchmark())
    assert "toy" in available_benchmarks()
    toy = get_benchmark("toy")
    assert isinstance(toy, Benchmark)
    assert toy.run_episodes(EpisodeRequest(domain="toys", out=tmp_path)) == [{"task_id": "a", "reward": 1.0}]


def test_a_registered_path_is_imported_on_first_use(clean_registry):
    register_benchmark("toy2", f"{__name__}:ToyBenchmark")
    first = get_benchmark("toy2")
    assert isinstance(first, ToyBenchmark) and get_benchmark("toy2") is first


def test_an_object_without_the_protocol_is_refused(clean_registry):
    with pytest.raises(ConfigError, match="Benchmark protocol"):
        register_benchmark("bad", object())


def test_tau2_implements_the_protocol():
    tau2 = get_benchmark("tau2")
    assert isinstance(tau2, Benchmark)
    assert tau2.domains == ("airline", "retail", "telecom", "mock")
    assert tau2.task_ids("airline", "train", num_tasks=3) == ["0", "1", "3"]
    with pytest.raises(ConfigError, match="unknown domain"):
        tau2.check_domain("banking")
    points = tau2.decision_points("mock", task_ids=["create_task_1"], solo=True)
    assert [(p.id, p.gold.tool_name) for p in points] == [("mock/create_task_1/0", "create_task")]


GOLD_SAMPLES = [
    ("airline", False, ["0", "1", "3"]),
    ("retail", False, ["0", "1"]),
    ("telecom", True, None),
    ("mock", True, ["create_task_1", "impossible_task_1"]),
]


@pytest.mark.parametrize("domain, solo, task_ids", GOLD_SAMPLES)
def test_gold_replay_scores_one_through_the_interface(domain, solo, task_ids, tmp_path):
    from fama_dspy.benchmarks.tau2.builders import gold_agent_builder

    tau2 = get_benchmark("tau2")
    records = tau2.run_episodes(
        EpisodeRequest(
            domain=domain,
            split="base" if domain != "telecom" else "small",
            task_ids=task_ids,
            num_tasks=None if task_ids else 2,
            solo=solo,
            user="scripted",
            out=tmp_path,
            config_name="gold",
            progress=False,
            extra={"agent_builder": gold_agent_builder()},
        )
    )
    assert records and all(r["reward"] == 1.0 and r["error"] is None for r in records), [
        (r["task_id"], r["reward"], r["error"]) for r in records
    ]
