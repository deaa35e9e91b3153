"""The capabilities end to end against the real embedded server with the 0.5B model.

Slow-ish (about a minute or two on 2 cores): they check that the real parts work together,
not how good the small model is.
"""

from __future__ import annotations

import json

import dspy
import pytest

from fama_dspy.configs import build_agent
from fama_dspy.lm import make_lm

pytestmark = pytest.mark.real_model
FAST = "local:qwen2.5-coder-0.5b"


@pytest.fixture(scope="module")
def lm(real_server):
    # No response cache: a cached answer reports no tokens, and these tests check the real round trip.
    return make_lm(FAST, max_tokens=256, cache=False)


def assert_fits_action_schema(action, state) -> None:
    """A valid call of one of the state's tools (or, with a user, a non-empty message) within its action schema."""
    import jsonschema

    from fama_dspy.decoding import action_schema
    from fama_dspy.validation import validate_action

    if action.kind == "tool_call":
        assert validate_action(action, state.tools, solo=state.solo) is None
        answer = {"tool_name": action.tool_name, "arguments": action.arguments}
    else:
        assert action.message.strip() and not state.solo
        answer = {"message": action.message}
    if not state.solo:
        answer["kind"] = action.kind
    jsonschema.validate(answer, action_schema(state))


def test_fama_episode_writes_a_complete_record_and_resumes(lm, tmp_path):
    from fama_dspy.benchmarks.tau2.runner import run_episodes

    calls = []
    out = tmp_path / "run"

    def factory():
        calls.append(1)
        return build_agent("fama", specialists=["dce", "mem"])

    with dspy.context(lm=lm):
        [record] = run_episodes(
            factory,
            domain="mock",
            task_ids=["create_task_1"],
            solo=True,
            max_steps=6,
            out=out,
            config_name="fama[react:dce+mem]",
            progress=False,
        )
        assert record["error"] is None, record["error"]
        assert record["reward"] in (0.0, 1.0) and record["termination"]
        assert (
            record["decisions"] and record["totals"]["lm_calls"] > 0 and record["totals"]["prompt_tokens"] > 0
        )
        assert any("dce" in (d.get("specialists") or []) for d in record["decisions"])
        again = run_episodes(
            factory,
            domain="mock",
            task_ids=["create_task_1"],
            solo=True,
            max_steps=6,
            out=out,
            config_name="fama[react:dce+mem]",
            progress=False,
        )
    assert len(calls) == 1, "the finished episode was run again instead of resumed"
    assert again == [record]
    assert len((out / "episodes.jsonl").read_text().splitlines()) == 1


def test_minimal_compile_saves_a_loadable_program(lm, tmp_path):
    from fama_dspy.optimizers.pipeline import compile_program
    from fama_dspy.optimizers.program import load_program
    from fama_dspy.optimizers.settings import CompileSettings, ProgramOutput, SoloEpisodes, TrainingData

    result = compile_program(
        build_agent("react"),
        lm,
        TrainingData(
            domain="mock",
            split="base",
            solo_decisions=True,
            held_out_fraction=0.34,
            val_fraction=0.34,
            dataset_root=tmp_path / "datasets",
        ),
        CompileSettings(max_lm_calls=12),
        solo=SoloEpisodes(task_ids=["create_task_1"], max_steps=4),
        model_spec=FAST,
        output=ProgramOutput(out=tmp_path / "program.json", runs_dir=tmp_path / "runs"),
        progress=False,
    )
    assert result.path.exists() and result.kept in {"tuned", "untuned"}
    program = load_program(result.path)
    assert program.program_info["model"] == FAST
    assert json.loads(result.path.read_text())["fama_program"]["schema_version"] >= 1


def test_judges_answer_on_a_validation_example(lm):
    from fama_dspy.benchmarks.tau2.judge_validation import evaluate_judges

    with dspy.context(lm=lm):
        report = evaluate_judges(lm, judge_model=FAST, limit=1, concurrency=1)
    assert report.n == 1 and report.judge_model == FAST
    assert set(report.judges) == {"DPV", "WRCO", "CM", "IFU"}


@pytest.mark.parametrize(
    "domain, split, solo",
    [
        ("airline", "train", False),
        ("retail", "train", False),
        ("mock", None, True),
        ("telecom", "train", True),
    ],
)
def test_constrained_decision_for_each_tau2_tool_set_is_schema_valid(lm, domain, split, solo):
    from fama_dspy.agent import ToolUseAgent
    from fama_dspy.benchmarks.tau2.decision_points import iter_decision_points

    point = iter_decision_points(domain, split, num_tasks=2, solo=solo)[1]
    with dspy.context(lm=lm):
        pred = ToolUseAgent(decoding="constrained")(state=point.state)
    assert (pred.parse_failures, pred.truncations, pred.fallback) == (0, 0, False), pred.raw
    sent = lm.history[-1]["kwargs"]["response_format"]
    assert sent["type"] == "json_schema"
    assert_fits_action_schema(pred.action, point.state)


def test_famareact_two_tool_program_end_to_end(lm):
    from fama_dspy import FamaReAct

    calls = []

    def find_table(restaurant: str, people: int) -> str:
        """Find a free table for a party at a restaurant."""
        calls.append(("find_table", restaurant, people))
        return json.dumps({"restaurant": restaurant, "table": f"T{people}", "free": True})

    def book_table(restaurant: str, table: str) -> str:
        """Book a table that find_table reported free."""
        calls.append(("book_table", restaurant, table))
        return f"Booked {table} at {restaurant}."

    bot = FamaReAct(
        "restaurant, people: int -> confirmation",
        tools=[find_table, book_table],
        specialists=["mem"],
        max_iters=4,
        writes=["book_table"],
    )
    with dspy.context(lm=lm):
        pred = bot(restaurant="Noma", people=2)
    # What a 0.5B model decides is not the point; that the real round trip works end to end is.
    assert pred.status in ("finished", "max_iters") and 1 <= pred.steps <= 4
    assert isinstance(pred.confirmation, str)
    assert all(d["lm_calls"] >= 1 and d["parse_failures"] == 0 for d in pred.decisions)
    names = [pred.trajectory[f"tool_name_{i}"] for i in range(pred.steps)]
    assert set(names) <= {"find_table", "book_table", "done"}
    assert len(calls) == sum(1 for n in names if n != "done")  # every call that validated ran, and only those


@pytest.mark.parametrize("domain, split, solo", [("retail", "train", False), ("mock", None, True)])
def test_fc_constrained_retry_gets_a_schema_valid_action_beside_the_native_tools(lm, domain, split, solo):
    # The retry an unusable fc answer gets: native tools and dialogue, reply under the action schema.
    from fama_dspy.agent import ToolUseAgent
    from fama_dspy.benchmarks.tau2.decision_points import iter_decision_points
    from fama_dspy.identifiers import seen_identifiers

    state = iter_decision_points(domain, split, num_tasks=2, solo=solo)[1].state
    agent = ToolUseAgent(mode="fc")
    with dspy.context(lm=lm):
        action, _, from_text = agent._decide_once(state, "", "", seen_identifiers(state), constrain=True)
    sent = lm.history[-1]["kwargs"]
    assert sent["response_format"]["type"] == "json_schema" and sent["tools"]
    assert not from_text
    assert_fits_action_schema(action, state)
