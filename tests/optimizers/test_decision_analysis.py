"""Counterfactual credit at decision level: the specialist that flips failed points is the one chosen."""

import json

import dspy
from conftest import cancel_point
from opt_helpers import policy_agent, rule_lm
from scripted_lm import action_reply

from fama_dspy.configs import build_agent
from fama_dspy.decision_analysis import COUNTERFACTUAL_FILE, counterfactual_profile
from fama_dspy.results.decisions import DecisionPoint


def point(i: int) -> DecisionPoint:
    return cancel_point(i)


def wrong_answers(points: dict[str, DecisionPoint], message: str) -> list[dict]:
    """A `react` run that answered every point with this message (all wrong)."""
    return [
        {
            "point_id": pid,
            "exact_ok": False,
            "config": "react",
            "action": {"kind": "message", "message": message},
        }
        for pid in points
    ]


def json_fama(codes):
    return build_agent("fama", specialists=codes, decoding="json", id_policy="free")


def analyse(records, points, out, **kw):
    """``counterfactual_profile`` on the mock domain with JSON-mode FAMA agents."""
    return counterfactual_profile(records, points, json_fama, out, domain="mock", model="rule", **kw)


def only_with_memory(role, system, text):
    """The agent looks the order up only when MEM's section is in its prompt; otherwise it apologises."""
    if role == "agent":
        if "User requests so far (MEM)" in text:
            order = text.rsplit("#W", 1)[1].split(",")[0].split()[0]
            return action_reply(kind="tool_call", tool_name="get_order", arguments={"order_id": f"#W{order}"})
        return action_reply(kind="message", message="I'm sorry, but I can't assist with that.")
    return policy_agent(role, system, text)


def test_the_measured_flips_choose_the_subset(tmp_path):
    points = {p.id: p for p in (point(1), point(2), point(3))}
    records = wrong_answers(points, "I'm sorry")
    lm, _ = rule_lm(only_with_memory)

    with dspy.context(lm=lm):
        profile, rows = analyse(
            records,
            points,
            tmp_path,
            budget=2,
            candidates=("dce", "tsa", "mem"),
        )
    assert len(rows) == 2 * 3  # two points (the budget) × three candidates
    flipped = {r["specialist"] for r in rows if r["fixed"]}
    assert flipped == {"mem"}
    assert profile.recommended == ["mem"]
    assert profile.evidence["mem"] == {"tried": 2, "fixed": 2}
    assert any('"mem": 2' in note for note in profile.notes)
    # Resumable: the rows are on disk, a second analysis re-asks nothing.
    assert len((tmp_path / COUNTERFACTUAL_FILE).read_text().splitlines()) == 6
    with dspy.context(lm=None):
        again, rows_again = analyse(
            records,
            points,
            tmp_path,
            budget=2,
            candidates=("dce", "tsa", "mem"),
        )
    assert json.dumps(rows_again, sort_keys=True) == json.dumps(rows, sort_keys=True)
    assert again.recommended == ["mem"]


def test_concurrent_reruns_give_the_serial_rows_in_order(tmp_path):
    points = {p.id: p for p in (point(1), point(2), point(3))}
    records = wrong_answers(points, "no")
    lm, _ = rule_lm(only_with_memory)

    runs = {}
    for concurrency in (1, 3):
        with dspy.context(lm=lm):
            _, rows = analyse(
                records,
                points,
                tmp_path / str(concurrency),
                budget=3,
                candidates=("dce", "mem"),
                concurrency=concurrency,
            )
        runs[concurrency] = [(r["point_id"], r["specialist"], r["fixed"]) for r in rows]
    assert runs[3] == runs[1]
    assert [s for _, s, _ in runs[3]] == ["dce", "mem"] * 3
    assert len((tmp_path / "3" / COUNTERFACTUAL_FILE).read_text().splitlines()) == 6


def always_apologise(role, system, text):
    if role == "agent":
        return action_reply(kind="message", message="I'm sorry, but I can't assist with that.")
    return policy_agent(role, system, text)


def test_zero_flips_say_the_subset_is_the_priors_choice(tmp_path):
    points = {p.id: p for p in (point(1), point(2))}
    records = wrong_answers(points, "no")
    lm, _ = rule_lm(always_apologise)

    with dspy.context(lm=lm):
        profile, rows = analyse(records, points, tmp_path, budget=2, candidates=("mem",))
    assert len(rows) == 2 and not any(r["fixed"] for r in rows)
    assert any(note.startswith("no re-run flipped a point (2 re-runs)") for note in profile.notes)


def test_a_flip_leaves_no_prior_note(tmp_path):
    points = {p.id: p for p in (point(1),)}
    records = wrong_answers(points, "no")
    lm, _ = rule_lm(only_with_memory)

    with dspy.context(lm=lm):
        profile, _ = analyse(records, points, tmp_path, budget=1, candidates=("mem",))
    assert not any(note.startswith("no re-run flipped") for note in profile.notes)


def test_the_prior_weight_decides_whether_thin_evidence_outweighs_the_prior(tmp_path):
    """TSA flipped 1 of 3 failed points, the prior's picks for talking instead of acting (MEM, PLN,
    VER) none: with the prior worth 2 re-runs per pair one of them stays chosen and a note says why
    TSA is not; with weight 0 the re-runs alone decide. Saved re-runs are reused: no LM is asked."""
    points = {p.id: p for p in (point(1), point(2), point(3))}
    records = wrong_answers(points, "I'm sorry")
    with (tmp_path / COUNTERFACTUAL_FILE).open("w") as f:
        for i, pid in enumerate(points):
            for code in ("tsa", "mem", "pln", "ver"):
                fixed = code == "tsa" and i == 0
                row = {"point_id": pid, "task_id": pid, "categories": ["IFU"], "specialist": code, "with": []}
                f.write(json.dumps({**row, "fixed": fixed, "name_ok": fixed, "action": {}}) + "\n")

    def profile_with(weight):
        profile, rows = analyse(
            records,
            points,
            tmp_path,
            budget=3,
            candidates=("tsa", "mem", "pln", "ver"),
            max_specialists=1,
            prior_weight=weight,
        )
        assert len(rows) == 12
        return profile

    smoothed = profile_with(2.0)
    assert smoothed.recommended and "tsa" not in smoothed.recommended
    assert any(
        n.startswith("flipped points but not in the subset: tsa 1 (of 3 points)") for n in smoothed.notes
    )
    evidence_only = profile_with(0.0)
    assert evidence_only.recommended == ["tsa"]
    assert not any(n.startswith("flipped points but not in the subset") for n in evidence_only.notes)
