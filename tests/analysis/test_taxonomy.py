"""The analysis vocabulary agrees with the signatures and the specialist registry."""

from __future__ import annotations

from typing import get_args

from fama_dspy.signatures.judges import CATEGORY_JUDGES

from fama_dspy.analysis.selection import ERROR_TO_SPECIALISTS
from fama_dspy.analysis.taxonomy import CATEGORIES, SPECIALIST_CODES, SpecialistCode


def test_every_category_has_a_judge_and_a_prior():
    assert CATEGORIES == ("DPV", "WRCO", "CM", "IFU")
    assert tuple(CATEGORY_JUDGES) == CATEGORIES
    assert tuple(ERROR_TO_SPECIALISTS) == CATEGORIES


def test_specialist_codes_match_the_registry():
    from fama_dspy.specialists import SPECIALISTS

    # The Literal is spelled out for typing; it must name the registry's pool, in its order.
    assert get_args(SpecialistCode) == SPECIALIST_CODES == tuple(SPECIALISTS)
