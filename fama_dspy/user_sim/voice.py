"""τ²'s user instructions, turned from the simulator's second person into the user's first person.

τ² writes what a simulated user wants as instructions *to* the simulator ("You want to cancel
reservation EHGLP3. You are Emma Kim. Your user id is …"). Decision points have no simulator: the
agent reads that text as the user's message, and a small model then takes "you" to mean itself
(measured with the 1.5B model: replies such as "the customer should not cancel it"). A user
would say "I want to cancel …", so the view rewrites the pronouns. The rewrite is deterministic
and only touches pronouns and their be-verbs; ids, names and numbers are left as they are.
"""

from __future__ import annotations

import re

__all__ = ["first_person"]

#: Words after which "you" is an object ("tells you", "for you"), so it becomes "me".
_OBJECT_AFTER = frozenset(
    """about after against at before by for from give gives gave giving help helps helped into let lets like
    of offer offers offered on onto ask asks asked show shows showed tell tells told telling thank thanks to
    toward towards transfer transfers transferred with without send sends sent call calls called charge
    charges charged refund refunds refunded provide provides provided assist assists assisted remind reminds
    reminded allow allows allowed get gets got contact contacts contacted inform informs informed book books
    booked cost costs pay pays paid than""".split()  # noqa: SIM905  # a word list reads better as text
)

# Contractions and be/have forms first, so "you are" never becomes "I are".
_FIXED = [
    (r"you're", "I'm"),
    (r"you've", "I've"),
    (r"you'd", "I'd"),
    (r"you'll", "I'll"),
    (r"you are", "I am"),
    (r"you were", "I was"),
    (r"are you", "am I"),
    (r"were you", "was I"),
    (r"yourself", "myself"),
    (r"yours", "mine"),
    (r"your", "my"),
]


def _match_case(word: str, like: str) -> str:
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word if word.startswith("I") else word.lower()


def first_person(text: str) -> str:
    """``text`` with second-person pronouns turned into first person ("You are" → "I am")."""
    for pattern, replacement in _FIXED:
        text = re.sub(
            rf"\b{pattern}\b", lambda m, r=replacement: _match_case(r, m.group(0)), text, flags=re.IGNORECASE
        )

    def pronoun(m: re.Match) -> str:
        # Only the words of the same sentence or line count: "Reason for call:\n You recently" is a subject.
        clause = re.split(r"[.!?:;\n]", text[: m.start()])[-1]
        before = re.findall(r"[A-Za-z']+", clause)
        obj = bool(before) and before[-1].lower() in _OBJECT_AFTER
        return "me" if obj else "I"

    return re.sub(r"\byou\b", pronoun, text, flags=re.IGNORECASE)
