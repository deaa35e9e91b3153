"""The specialist registry: its order, the lookups derived from it, and a toy specialist added to it."""

import dspy
import pytest

from fama_dspy.errors import ConfigError
from fama_dspy.specialists import SPECIALISTS, LMSpecialist, Specialist, Tunable, normalize_codes
from fama_dspy.specialists.registry import (
    ERROR_TO_SPECIALISTS,
    LLM_FREE_SPECIALISTS,
    POOL,
    REGISTRY,
    SPECIALIST_CODES,
    TUNABLES,
    Registry,
)

# What the pool was before the registry existed, written down by hand: the derived lookups must keep it.
ORDER = ["dce", "tsa", "tor", "pln", "ver", "mem"]
LLM_FREE = frozenset({"mem"})
PRIOR_LINKS = {
    "DPV": ["dce", "ver"],
    "WRCO": ["tor"],
    "CM": ["tsa", "pln", "mem"],
    "IFU": ["pln", "mem", "ver"],
}
#: name -> (code, constructor argument, default, bounds) of the settings FamaAgent and tuning used.
SETTINGS = {
    "tor_min_chars": ("tor", "min_chars", 400, (200, 3000)),
    "verify_and_revise": ("ver", None, True, (True, False)),
    "memory_k": ("mem", "k", 4, (1, 8)),
}


def test_registry_codes_and_classes():
    assert list(SPECIALISTS) == ORDER == list(SPECIALIST_CODES)
    assert [cls.code for cls in POOL] == ORDER
    assert all(cls.code == code for code, cls in SPECIALISTS.items())


def test_derived_lookups_keep_the_values_they_replaced():
    assert LLM_FREE_SPECIALISTS == LLM_FREE
    # Same links; each list is now in pool order (IFU: pln, ver, mem), which no consumer depends on.
    assert {c: set(codes) for c, codes in ERROR_TO_SPECIALISTS.items()} == {
        c: set(codes) for c, codes in PRIOR_LINKS.items()
    }
    assert list(ERROR_TO_SPECIALISTS) == list(PRIOR_LINKS)
    declared = {t.name: (code, t.arg, t.default, t.bounds) for code, ts in TUNABLES.items() for t in ts}
    assert declared == SETTINGS
    assert REGISTRY.tunable("tor_min_chars").log and not REGISTRY.tunable("memory_k").log
    assert REGISTRY.gateable == ("dce", "tsa", "tor", "pln", "mem")  # VER checks the action instead
    assert REGISTRY.tuned_gates == ("dce", "tsa", "pln")
    assert [c for c, cls in SPECIALISTS.items() if cls.checks_action] == ["ver"]


def test_the_other_layers_reexport_the_registry_lookups():
    import fama_dspy
    from fama_dspy.analysis import selection, taxonomy

    assert taxonomy.SPECIALIST_CODES is SPECIALIST_CODES
    assert taxonomy.LLM_FREE_SPECIALISTS is LLM_FREE_SPECIALISTS
    assert selection.ERROR_TO_SPECIALISTS is ERROR_TO_SPECIALISTS
    assert fama_dspy.SPECIALISTS is SPECIALISTS


def test_codes_are_normalised_to_registry_order():
    assert normalize_codes(["MEM", "dce", " Dce "]) == ("dce", "mem")
    assert normalize_codes("mem,VER") == ("ver", "mem")
    assert normalize_codes([]) == ()


def test_unknown_codes_list_the_valid_ones():
    with pytest.raises(ConfigError, match="xyz.*valid codes: dce, tsa, tor, pln, ver, mem"):
        normalize_codes(["dce", "xyz"])


class Toy(Specialist):
    """A free specialist with one setting, registered only in the tests' own registry."""

    code = "toy"
    title = "Toy (TOY)"
    calls_lm = False
    mitigates = ("WRCO",)
    tunables = (Tunable("toy_n", "int", default=2, arg="n", low=1, high=3),)

    def __init__(self, n: int = 2):
        super().__init__()
        self.n = n

    def forward(self, state):
        return dspy.Prediction(section=self.section([f"n={self.n}"]))


def test_a_registered_toy_specialist_appears_in_every_lookup():
    registry = Registry([*POOL, Toy])
    assert registry.codes == (*ORDER, "toy") and registry.specialists["toy"] is Toy
    assert registry.llm_free == LLM_FREE | {"toy"}
    assert registry.error_links["WRCO"] == ["tor", "toy"]
    assert registry.tunables["toy"] == Toy.tunables and registry.tunable("toy_n").arg == "n"
    assert "toy" in registry.gateable and "toy" in registry.tuned_gates
    assert registry.normalize("TOY,dce") == ("dce", "toy")
    assert REGISTRY.codes == tuple(ORDER)  # the real pool is untouched


def declared(**attrs) -> type[Specialist]:
    """A toy specialist class with some declarations replaced."""
    return type("Bad", (Toy,), attrs)


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ({"code": "Toy"}, "lower-case identifier"),
        ({"title": ""}, "no title"),
        ({"mitigates": ("XYZ",)}, "unknown error categories XYZ"),
        ({"calls_lm": True}, "takes the specialists' adapter"),
        ({"tunables": (Tunable("toy_n", "int", default=2, arg="size", low=1, high=3),)}, "does not take"),
        ({"tunables": (Tunable("toy_n", "int", default=3, arg="n", low=1, high=3),)}, "defaults to 3"),
        (
            {"tunables": (Tunable("memory_k", "int", default=2, arg="n", low=1, high=3),)},
            "another specialist",
        ),
        ({"checks_action": True}, "per-turn gate cannot apply"),
    ],
)
def test_a_bad_declaration_fails_at_registration(attrs, message):
    with pytest.raises(ValueError, match=message):
        Registry([*POOL, declared(**attrs)])


def test_codes_are_unique_and_one_specialist_checks_actions():
    with pytest.raises(ValueError, match="registered twice"):
        Registry([*POOL, declared(code="dce", tunables=())])
    with pytest.raises(ValueError, match="At most one specialist may check actions"):
        Registry([*POOL, declared(checks_action=True, gateable=False)])
    with pytest.raises(TypeError, match="not a Specialist"):
        Registry([dspy.Module])


def test_every_specialist_takes_the_adapter_exactly_when_it_calls_an_lm():
    assert all(issubclass(cls, LMSpecialist) == cls.calls_lm for cls in SPECIALISTS.values())
