"""The ``demos`` optimizer: compact labeled demos from gold decisions, chosen by validation score."""

import json

import dspy
import pytest
from fama_dspy.optimizers import load_program
from fama_dspy.optimizers.demos import (
    DEMO_TAIL_MESSAGES,
    candidate_sets,
    compact_demo,
    labeled_demos,
    policy_lines_for,
    remaining_steps,
    select_demos,
    set_demos,
    specialist_demos,
)
from fama_dspy.optimizers.pipeline import compile_program
from fama_dspy.optimizers.settings import CompileSettings, ProgramOutput, TrainingData
from fama_dspy.signatures.action import AgentAction
from opt_helpers import after_lookup, cancel_request, order_ids, policy_agent, rule_lm
from scripted_lm import action_reply

from fama_dspy.errors import ConfigError
from fama_dspy.fama_agent import FamaAgent

DEMO_PREFIX = "This is an example of the task"


def imitator(role, system, text):
    """Looks the order up only after seeing a demo that looks one up; otherwise it refuses."""
    if DEMO_PREFIX in text and '"tool_name": "get_order"' in text:
        return action_reply(
            kind="tool_call", tool_name="get_order", arguments={"order_id": order_ids(text)[-1]}
        )
    return action_reply(kind="message", message="I'm sorry, but I can't assist with that.")


POOL = [cancel_request(i) for i in range(1, 5)] + [after_lookup(i) for i in range(5, 9)]
VAL = [cancel_request(i) for i in range(20, 23)]


def test_a_demo_is_compact_the_policy_and_tools_stay_out():
    demo = compact_demo(after_lookup(5))
    assert set(demo) == {"conversation", "reasoning", "action"}
    assert demo["action"].tool_name == "cancel_order" and "request needs cancel_order" in demo["reasoning"]
    assert demo["conversation"].count("\n") < DEMO_TAIL_MESSAGES


def test_candidate_sets_are_deterministic_for_a_seed_and_take_one_point_per_task():
    a = [[e.point_id for e in s] for s in candidate_sets(POOL, 2, 5, seed=7)]
    b = [[e.point_id for e in s] for s in candidate_sets(POOL, 2, 5, seed=7)]
    assert a == b and len(a) == 5 and len({tuple(sorted(s)) for s in a}) == 5
    assert all(len({p.split("/")[1] for p in s}) == 2 for s in a)
    with pytest.raises(ConfigError):
        candidate_sets(POOL[:1], 2, 1, seed=0)


def test_selection_keeps_the_set_that_scores_best_on_validation():
    lm, _engine = rule_lm(imitator)
    agent = FamaAgent(decoding="json", id_policy="free")
    with dspy.context(lm=lm):
        assert sum(1 for e in VAL if agent(state=e.state).action.kind == "message") == len(VAL)
        selection = select_demos(agent, POOL, VAL, k=1, n_sets=6, seed=3)
    scores = [c["val_exact"] for c in selection.scores]
    assert max(scores) == 1.0 and min(scores) == 0.0  # sets differ, and the search saw it
    assert selection.chosen[0].endswith("/0")  # a look-up demo won
    assert agent.agent.decide.demos == []  # the input agent is unchanged
    assert len(selection.program.agent.decide.demos) == 1 and selection.demo_tokens > 0
    with dspy.context(lm=lm):
        again = select_demos(FamaAgent(decoding="json", id_policy="free"), POOL, VAL, k=1, n_sets=6, seed=3)
    assert again.chosen == selection.chosen


def test_demos_round_trip_through_a_saved_program(tmp_path):
    agent = FamaAgent(specialists=["mem"])
    set_demos(agent, [cancel_request(1), after_lookup(5)])
    path = tmp_path / "p.json"
    agent.save(path)
    state = json.loads(path.read_text())
    assert len(state["agent.decide"]["demos"]) == 2
    loaded = FamaAgent(specialists=["mem"])
    loaded.load(path)
    assert [d["action"]["tool_name"] for d in loaded.agent.decide.demos] == ["get_order", "cancel_order"]


def test_fc_has_no_slot_for_demos():
    with pytest.raises(ConfigError, match="ReAct"):
        select_demos(FamaAgent(base="fc"), POOL, VAL)


def test_compile_with_demos_saves_a_tuned_program(tmp_path):
    lm, _ = rule_lm(imitator)
    agent = FamaAgent(decoding="json", id_policy="free")
    from fama_dspy.optimizers.pipeline import _tune_demos

    with dspy.context(lm=lm):
        tuning = _tune_demos(agent, POOL, VAL, num_demos=1, demo_sets=4, seed=3, num_threads=1, console=None)
    assert tuning.changed == ["agent.decide"] and tuning.val_score == 1.0
    assert tuning.record()["demo_tokens_per_decision"] > 0
    assert compile_program  # the CLI path: `fama compile --optimizer demos` (see the README example)
    from fama_dspy.optimizers.program import save_program

    path = save_program(
        tuning.program,
        tmp_path / "demos.json",
        {"kept": "tuned", "tuning": tuning.record()},
        model="rule/test",
    )
    program = load_program(path)
    assert len(program.agent.decide.demos) == 1 and program.program_info["tuning"]["optimizer"] == "demos"


def test_one_demo_set_is_labeled_few_shot_without_any_lm_call():
    lm, engine = rule_lm(imitator)
    from fama_dspy.optimizers.pipeline import _tune_demos

    with dspy.context(lm=lm):
        tuning = _tune_demos(
            FamaAgent(decoding="json", id_policy="free"),
            POOL,
            VAL,
            num_demos=2,
            demo_sets=1,
            seed=3,
            num_threads=1,
            console=None,
        )
    assert engine.calls == [] and tuning.changed == ["agent.decide"]
    again = labeled_demos(FamaAgent(), [*POOL, *VAL], k=2, seed=3)
    assert tuning.details["chosen"] == again.chosen and len({c.split("/")[1] for c in again.chosen}) == 2


def test_knn_retrieves_the_nearest_labeled_decisions():
    from fama_dspy.optimizers.demos import build_pool

    pool = build_pool(POOL, k=2)
    nearest = pool.nearest(after_lookup(30).state)  # a state after a look-up: the cancel demos are closest
    assert len(nearest) == 2 and all(d["action"]["tool_name"] == "cancel_order" for d in nearest)
    fresh = pool.nearest(cancel_request(30).state)
    assert all(d["action"]["tool_name"] == "get_order" for d in fresh)
    assert (
        pool.nearest(cancel_request(30).state.model_copy(update={"ticket": "solo"})) == []
    )  # no solo entries


def test_knn_pool_round_trips_through_save_and_load_and_is_used_per_decision(tmp_path):
    from fama_dspy.optimizers.demos import select_knn

    lm, engine = rule_lm(imitator)
    agent = FamaAgent(decoding="json", id_policy="free")
    with dspy.context(lm=lm):
        program, scores = select_knn(agent, POOL, VAL, ks=(1, 2))
    assert [s["k"] for s in scores] == [1, 2] and max(s["val_exact"] for s in scores) == 1.0
    assert agent.agent.demo_pool is None and len(program.agent.demo_pool.entries) == len(POOL) + len(VAL)
    path = tmp_path / "knn.json"
    program.save(path)
    assert "fama_demo_pool" in json.loads(path.read_text())
    loaded = load_program(path)
    assert loaded.agent.demo_pool == program.agent.demo_pool
    with dspy.context(lm=lm):
        assert loaded(state=cancel_request(40).state).action.tool_name == "get_order"
    assert DEMO_PREFIX in engine.calls[-1].text  # the retrieved demos were in the prompt


def test_optimizers_chain_in_order(tmp_path):
    from fama_dspy.optimizers.pipeline import optimizer_chain

    assert optimizer_chain("instructions+demos") == ["instructions", "demos"]
    with pytest.raises(ConfigError, match="unknown optimizer"):
        optimizer_chain("demos+magic")
    lm, _ = rule_lm(imitator)
    with dspy.context(lm=lm):
        result = compile_program(
            FamaAgent(),
            lm,
            TrainingData(
                domain="mock",
                split="base",
                solo_decisions=True,
                held_out_fraction=0.4,
                val_fraction=0.3,
                dataset_root=tmp_path / "d",
            ),
            CompileSettings(optimizer="knn+demos", num_demos=1, demo_sets=2),
            model_spec="rule/test",
            output=ProgramOutput(out=tmp_path / "chain.json", runs_dir=tmp_path / "r"),
            progress=False,
        )
    record = result.tuning.record()
    assert record["optimizer"] == "knn+demos" and [c["optimizer"] for c in record["chain"]] == [
        "knn",
        "demos",
    ]
    assert "agent.decide_solo" in result.tuning.changed


POLICY_TEXT = """# Airline policy
## Cancel flight
Each reservation can have at most five passengers.
Reservations can be cancelled within 24 hours of booking, or when the airline cancelled the flight.
Before you cancel a reservation, list the details and get an explicit yes from the user.
The reservation holds the flights, the passengers and the payment history.
Baggage allowance depends on the cabin class of the reservation.
The following rules apply:
"""


def test_policy_lines_prefer_the_rare_words_of_the_tool_name():
    lines = policy_lines_for(POLICY_TEXT, "cancel_reservation")
    assert len(lines) == 3
    # "cancel" is rarer than "reservation": both cancel lines come before the reservation-only ones
    assert lines[0].startswith("Reservations can be cancelled") and lines[1].startswith("Before you cancel")
    assert all(not line.endswith(":") and not line.startswith("#") for line in lines)
    assert policy_lines_for(POLICY_TEXT, "get_details") == []  # no distinctive word
    assert policy_lines_for(POLICY_TEXT, "send_certificate") == []  # no line mentions it
    named = "Use book_reservation only after the user confirmed every detail."
    assert policy_lines_for(POLICY_TEXT + named, "book_reservation")[0] == named  # the tool itself wins


def test_specialists_get_gold_derived_demos_of_the_same_points():
    lookup, cancel = cancel_request(5), after_lookup(5)  # task t5: get_order, then cancel_order
    tsa = specialist_demos(lookup, ["tsa"])["tsa"]
    assert tsa["tools"] == ["get_order"] and "policy" not in tsa and "available_tools" not in tsa
    assert remaining_steps(lookup, [cancel, lookup, cancel_request(6)]) == [
        "call get_order",
        "call cancel_order",
    ]
    assert remaining_steps(cancel, [lookup, cancel]) == [
        "call cancel_order"
    ]  # steps already done are left out
    demos = specialist_demos(cancel, ["dce", "pln"], [lookup, cancel])
    assert demos["pln"]["steps"] == ["call cancel_order"]
    assert demos["dce"]["rules"] == [
        "Authenticate the user by user id before any change. Orders can be cancelled only while pending."
    ]
    message = cancel.copy(gold=AgentAction(kind="message", message="Done."))
    replies = specialist_demos(message, ["dce", "tsa"])
    assert set(replies) == {"tsa"} and replies["tsa"]["tools"] == []  # a reply: no tool, no rule

    agent = FamaAgent(specialists=["dce", "tsa", "pln", "mem"])
    given = set_demos(agent, [lookup, cancel])
    assert [d.tools for d in agent.tsa.suggest.demos] == [["get_order"], ["cancel_order"]]
    assert [d.steps for d in agent.pln.plan.demos] == [
        ["call get_order", "call cancel_order"],
        ["call cancel_order"],
    ]
    assert len(agent.dce.extract.demos) == 2 and len(given) == 2 + 2 + 2 + 2
    assert len(agent.agent.decide.demos) == 2


def test_specialist_demos_round_trip_and_a_bare_agent_gets_none(tmp_path):
    agent = FamaAgent(specialists=["tsa", "mem"])
    set_demos(agent, [cancel_request(1), after_lookup(5)])
    path = tmp_path / "p.json"
    agent.save(path)
    loaded = FamaAgent(specialists=["tsa", "mem"])
    loaded.load(path)
    assert [d["tools"] for d in loaded.tsa.suggest.demos] == [["get_order"], ["cancel_order"]]
    bare = FamaAgent()
    assert len(set_demos(bare, [cancel_request(1)])) == 1


def test_specialist_demos_reach_the_specialists_prompts():
    seen: dict[str, str] = {}

    def recording(role, system, text):
        seen[role] = text
        return policy_agent(role, system, text)

    lm, _ = rule_lm(recording)
    agent = FamaAgent(specialists=["dce", "tsa", "pln"], decoding="json", id_policy="free")
    set_demos(agent, [cancel_request(1), after_lookup(5)])
    with dspy.context(lm=lm):
        pred = agent(state=cancel_request(30).state)
    assert pred.action.kind == "tool_call"
    assert '"call cancel_order"' in seen["pln"] and '"cancel_order"' in seen["tsa"]
    # the demo's rules are rendered as an output list (the policy input is plain text)
    assert '"rules": [\n    "Authenticate the user by user id' in seen["dce"] and "#W5" in seen["dce"]
