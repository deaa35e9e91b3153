import pytest

from fama_dspy.specialists import Tunable


def test_bounds_are_the_range_or_the_choices():
    assert Tunable("n", "int", default=2, low=1, high=3).bounds == (1, 3)
    assert Tunable("x", "float", default=0.5, low=0.0, high=1.0, log=False).bounds == (0.0, 1.0)
    assert Tunable("on", "choice", default=True, choices=(True, False)).bounds == (True, False)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "bool", "default": True, "choices": (True, False)}, "unknown kind"),
        ({"kind": "choice", "default": True}, "takes choices"),
        ({"kind": "choice", "default": 3, "choices": (1, 2)}, "not one of its choices"),
        ({"kind": "int", "default": 1, "choices": (1, 2)}, "takes a range"),
        ({"kind": "int", "default": 1, "low": 3, "high": 2}, "takes a range"),
        ({"kind": "int", "default": 9, "low": 1, "high": 8}, "outside"),
    ],
)
def test_a_bad_declaration_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Tunable("t", **kwargs)
