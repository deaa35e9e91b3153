"""policy_excerpt: the whole policy when it fits, else the paragraphs about the tools the episode used."""

from __future__ import annotations

from fama_dspy.analysis.evidence import FailureEvidence
from fama_dspy.analysis.policy_excerpt import episode_words, policy_excerpt

POLICY = "\n\n".join(
    [
        "You are an airline agent. Authenticate the user first.",
        "Baggage: each passenger may check two bags.",
        "Cancellation: basic economy reservations cannot be cancelled unless insured. " * 3,
        "Upgrades: " + "cabin changes cost the fare difference. " * 20,
        "Pets: no pets in the cabin.",
        "Refunds go to the original payment method after a cancellation.",
    ]
)


def _evidence() -> FailureEvidence:
    return FailureEvidence(
        task_id="1",
        condensed_trajectory='[1] assistant called get_user_details({"user_id": "u1"})',
        missed_actions=['cancel_reservation({"reservation_id": "X"})'],
    )


def test_short_policy_is_returned_whole():
    assert policy_excerpt("  Be nice.  ", _evidence(), max_chars=100) == "Be nice."


def test_long_policy_keeps_relevant_paragraphs_in_order_within_budget():
    excerpt = policy_excerpt(POLICY, _evidence(), max_chars=400)
    assert len(excerpt) <= 400
    paragraphs = excerpt.split("\n\n")
    assert paragraphs[0].startswith("You are an airline agent")
    assert any(p.startswith("Cancellation:") for p in paragraphs)
    assert any(p.startswith("Refunds") for p in paragraphs)
    # Unrelated paragraphs stay out even though the short ones would fit.
    assert not any(p.startswith(("Baggage:", "Upgrades:", "Pets:")) for p in paragraphs)


def test_without_tool_words_the_opening_is_kept():
    excerpt = policy_excerpt(POLICY, FailureEvidence(task_id="1"), max_chars=120)
    assert excerpt.startswith("You are an airline agent") and len(excerpt) <= 120


def test_episode_words_skip_generic_tool_words():
    assert episode_words(_evidence()) == {"cancel", "reservation"}
