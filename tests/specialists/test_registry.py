import pytest

from fama_dspy.errors import ConfigError
from fama_dspy.specialists import SPECIALISTS, normalize_codes


def test_registry_codes_and_classes():
    assert list(SPECIALISTS) == ["dce", "tsa", "tor", "pln", "ver", "mem"]
    assert all(cls.code == code for code, cls in SPECIALISTS.items())


def test_codes_are_normalised_to_registry_order():
    assert normalize_codes(["MEM", "dce", " Dce "]) == ("dce", "mem")
    assert normalize_codes("mem,VER") == ("ver", "mem")
    assert normalize_codes([]) == ()


def test_unknown_codes_list_the_valid_ones():
    with pytest.raises(ConfigError, match="xyz.*valid codes: dce, tsa, tor, pln, ver, mem"):
        normalize_codes(["dce", "xyz"])
