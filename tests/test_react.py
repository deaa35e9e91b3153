"""``FamaReAct`` with a rule-based LM: tools from type hints, the loop, its limits, extraction, DSPy composition."""

import asyncio
import json
import re
import sys
from pathlib import Path

import dspy
import pytest

sys.path.insert(0, str(Path(__file__).parent / "optimizers"))
from opt_helpers import rule_lm

from fama_dspy import FamaReAct
from fama_dspy.errors import ConfigError
from fama_dspy.react import tool_spec, writes

CALLS: list[tuple] = []


def get_weather(city: str, days: int = 1) -> str:
    """Weather forecast for a city."""
    CALLS.append(("get_weather", city, days))
    return json.dumps({"city": city, "forecast": "sunny", "days": days})


@writes
def book_table(restaurant: str, people: int) -> str:
    """Book a table."""
    CALLS.append(("book_table", restaurant, people))
    return "booked"


def broken_lookup(query: str) -> str:
    """A tool that fails."""
    raise ValueError("the index is offline")


def call(name, **args):
    return json.dumps({"reasoning": f"use {name}", "call": {"tool_name": name, "arguments": args}})


def weather_then_done(role, system, text):
    """Asks for the weather once, then finishes; the extraction reads the forecast off the trajectory."""
    if "`call`" in system:
        city = re.findall(r"city: (\w+)", text)[-1]  # the ticket comes after the tool list
        return call("done") if "tool result (get_weather)" in text else call("get_weather", city=city)
    forecast = re.search(r'"forecast": "(\w+)"', text)
    return json.dumps({"reasoning": "read it", "answer": forecast.group(1) if forecast else "unknown"})


@pytest.fixture(autouse=True)
def clear_calls():
    CALLS.clear()


def program(**kw) -> FamaReAct:
    kw.setdefault("decoding", "json")
    return FamaReAct("city -> answer", tools=[get_weather, book_table], **kw)


def test_tool_schema_from_type_hints_and_write_marks():
    spec = tool_spec(dspy.Tool(get_weather))
    assert spec.parameters == {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
        "required": ["city"],
    }
    assert spec.description == "Weather forecast for a city."
    specs = {s.name: s for s in program(specialists=["mem"]).specs}
    assert list(specs) == ["get_weather", "book_table", "done"]
    assert specs["book_table"].writes is True and specs["get_weather"].writes is False


def test_the_loop_runs_tools_and_extracts_the_outputs():
    lm, _ = rule_lm(weather_then_done)
    with dspy.context(lm=lm):
        pred = program(specialists=["mem"])(city="Paris")
    assert pred.answer == "sunny" and pred.status == "finished" and pred.steps == 2
    assert CALLS == [("get_weather", "Paris", 1)]
    assert pred.trajectory["tool_name_0"] == "get_weather" and '"sunny"' in pred.trajectory["observation_0"]
    assert pred.trajectory["tool_name_1"] == "done"
    # MEM has nothing to say before the first call; after it, it lists the call made.
    assert pred.decisions[1]["specialists_ran"] == ["mem"] and pred.decisions[1]["lm_calls"] == 1


def test_a_raising_tool_becomes_a_tool_error_not_a_crash():
    def agent(role, system, text):
        if "`call`" in system:
            return call("done") if "tool error (broken_lookup)" in text else call("broken_lookup", query="x")
        return json.dumps({"reasoning": "r", "answer": "no data"})

    lm, _ = rule_lm(agent)
    with dspy.context(lm=lm):
        pred = FamaReAct("city -> answer", tools=[broken_lookup], decoding="json")(city="Rome")
    assert "ValueError: the index is offline" in pred.trajectory["observation_0"]
    assert pred.status == "finished" and pred.answer == "no data"


def test_invalid_arguments_are_caught_before_the_call():
    def agent(role, system, text):
        if "`call`" in system:
            return call("done") if "tool error" in text else call("get_weather", city=7, days="many")
        return json.dumps({"reasoning": "r", "answer": "?"})

    lm, _ = rule_lm(agent)
    with dspy.context(lm=lm):
        pred = program()(city="Oslo")
    assert CALLS == []  # the tool never ran
    assert pred.trajectory["observation_0"].startswith("Error: Invalid arguments for get_weather")


def test_the_step_budget_ends_the_loop_with_a_status():
    def looping(role, system, text):
        if "`call`" in system:
            return call("get_weather", city="Lima")
        return json.dumps({"reasoning": "r", "answer": "sunny"})

    lm, _ = rule_lm(looping)
    with dspy.context(lm=lm):
        pred = program(max_iters=3)(city="Lima")
    assert pred.status == "max_iters" and pred.steps == 3 and len(CALLS) == 3
    assert pred.answer == "sunny"  # the extraction still fills the outputs
    with pytest.raises(ConfigError):
        program(max_iters=0)


def test_configuration_errors_are_clear():
    with pytest.raises(ConfigError, match="unique"):
        FamaReAct("a -> b", tools=[get_weather, get_weather])
    with pytest.raises(ConfigError, match="unknown tools"):
        FamaReAct("a -> b", tools=[get_weather], writes=["delete_all"])
    with pytest.raises(ConfigError, match="missing input"):
        program()(town="Paris")


def test_named_predictors_cover_agent_specialists_and_extraction_and_save_load(tmp_path):
    react = program(specialists=["dce", "mem"])
    names = [n for n, _ in react.named_predictors()]
    assert names == ["fama.agent.decide", "fama.agent.decide_solo", "fama.dce.extract", "extract.predict"]
    react.extract.predict.signature = react.extract.predict.signature.with_instructions("Tuned extraction.")
    react.save(tmp_path / "react.json")
    loaded = program(specialists=["dce", "mem"])
    loaded.load(tmp_path / "react.json")
    assert loaded.extract.predict.signature.instructions == "Tuned extraction."


def test_optimized_by_a_dspy_optimizer_with_the_users_metric():
    lm, _ = rule_lm(weather_then_done)
    trainset = [dspy.Example(city=c, answer="sunny").with_inputs("city") for c in ("Paris", "Rome", "Oslo")]

    def metric(example, pred, trace=None):
        return pred.answer == example.answer

    with dspy.context(lm=lm):
        compiled = dspy.BootstrapFewShot(
            metric=metric, max_bootstrapped_demos=1, max_labeled_demos=0
        ).compile(program(), trainset=trainset)
        assert compiled(city="Lima").answer == "sunny"
    assert any(p.demos for _, p in compiled.named_predictors())


def test_async_call():
    lm, _ = rule_lm(weather_then_done)

    async def run():
        with dspy.context(lm=lm):
            return await program().acall(city="Berlin")

    pred = asyncio.run(run())
    assert pred.answer == "sunny" and CALLS == [("get_weather", "Berlin", 1)]


def test_nested_in_a_users_module_and_inspectable():
    class TripPlanner(dspy.Module):
        def __init__(self):
            super().__init__()
            self.weather = program()

        def forward(self, city):
            return dspy.Prediction(plan=f"Go to {city}: {self.weather(city=city).answer}")

    lm, _ = rule_lm(weather_then_done)
    with dspy.context(lm=lm):
        assert TripPlanner()(city="Nice").plan == "Go to Nice: sunny"
    assert len(lm.history) == 3  # two decisions and the extraction, all in DSPy's history


def test_a_failure_profile_from_the_programs_own_traces():
    from fama_dspy.analysis.program_traces import analyze_program

    def looping(role, system, text):
        if "`call`" in system:
            return call("get_weather", city="Lima")
        return json.dumps({"reasoning": "r", "answer": "rainy"})

    lm, _ = rule_lm(looping)
    examples = [dspy.Example(city=c, answer="sunny").with_inputs("city") for c in ("Lima", "Quito")]
    with dspy.context(lm=lm):
        profile = analyze_program(
            program(max_iters=3),
            examples,
            lambda ex, pred, trace=None: pred.answer == ex.answer,
            name="weather-bot",
            model="rule/test",
        )
    assert profile.domain == "weather-bot" and profile.n_failed == 2
    assert profile.category_frequencies["IFU"] == 1.0 and profile.recommended
    with dspy.context(lm=lm):
        guided = program(profile=profile, max_iters=2)
        assert set(guided.fama.active_specialists) == set(profile.recommended)
        assert guided(city="Lima").status == "max_iters"


def test_a_profile_from_traces_with_the_llm_judges():
    sys.path.insert(0, str(Path(__file__).parent / "analysis"))
    from judge_lm import judge_lm, verdict

    from fama_dspy.analysis.program_traces import analyze_program

    def looping(role, system, text):
        if "`call`" in system:
            return call("get_weather", city="Lima")
        return json.dumps({"reasoning": "r", "answer": "rainy"})

    lm, _ = rule_lm(looping)
    judges, engine = judge_lm(
        {
            "DPV": verdict(False),
            "WRCO": verdict(False),
            "CM": verdict(False),
            "IFU": verdict(True, turns=[1]),
            "primary": json.dumps({"rationale": "it never finished", "primary": ["IFU"]}),
        }
    )
    examples = [dspy.Example(city="Lima", answer="sunny").with_inputs("city")]
    with dspy.context(lm=lm):
        profile = analyze_program(
            program(max_iters=2),
            examples,
            lambda ex, pred, trace=None: pred.answer == ex.answer,
            name="weather-bot",
            model="rule/test",
            judges=True,
            judge_lm=judges,
        )
    assert profile.category_counts["IFU"] == 1 and profile.recommended
    assert {role for role, _, _ in engine.calls} >= {"DPV", "WRCO", "CM", "IFU"}
