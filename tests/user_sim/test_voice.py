"""The simulator's second-person instructions become the user's first-person request."""

from __future__ import annotations

import pytest

from fama_dspy.user_sim.voice import first_person


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("You want to cancel reservation EHGLP3.", "I want to cancel reservation EHGLP3."),
        ("You are Emma Kim.\nYour user id is emma_kim_9957.", "I am Emma Kim.\nMy user id is emma_kim_9957."),
        ("it is ok because you were out of town", "it is ok because I was out of town"),
        (
            "If Agent tells you that cancellation is not possible",
            "If Agent tells me that cancellation is not possible",
        ),
        ("You're pretty sure that you're a Gold member.", "I'm pretty sure that I'm a Gold member."),
        (
            "the suitcases the reservation allows you to take",
            "the suitcases the reservation allows me to take",
        ),
        ("you'd rather only exchange it; it is yours", "I'd rather only exchange it; it is mine"),
        (
            "If the agent insists that you are a Silver member",
            "If the agent insists that I am a Silver member",
        ),
        ("Reason for call:\n\t\tYou recently spoke", "Reason for call:\n\t\tI recently spoke"),
        ("They will call you. You know it", "They will call me. I know it"),
    ],
)
def test_pronouns_turn_to_the_first_person(text, expected):
    assert first_person(text) == expected


def test_ids_names_and_numbers_are_untouched():
    text = "Your order #W2378156 in zip code 19122; user yusuf_rossi_9620 (YOUNG account)."
    assert (
        first_person(text) == "My order #W2378156 in zip code 19122; user yusuf_rossi_9620 (YOUNG account)."
    )
