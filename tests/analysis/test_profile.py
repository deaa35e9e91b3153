"""FailureProfile: JSON round trip, clear errors on bad files, compatibility warnings."""

from __future__ import annotations

import json
import warnings

import pytest

from fama_dspy.analysis.diagnosis import FailureDiagnosis
from fama_dspy.analysis.profile import SCHEMA_VERSION, FailureProfile
from fama_dspy.analysis.profile_builder import build_profile
from fama_dspy.errors import ConfigError


def _profile() -> FailureProfile:
    diagnoses = [
        FailureDiagnosis(task_id="1", primary=["DPV"]),
        FailureDiagnosis(task_id="2", primary=["CM"]),
    ]
    return build_profile(
        diagnoses,
        {("CM", "mem"): (3, 2)},
        model="openai/Qwen2.5-Coder-1.5B",
        domain="airline",
        notes=["pilot"],
    )


def test_round_trip(tmp_path):
    profile = _profile()
    path = profile.save(tmp_path / "sub" / "profile.json")
    loaded = FailureProfile.load(path)
    assert loaded == profile
    data = json.loads(path.read_text())
    # mem fixed 2 of 3 CM re-runs (score 0.8), so tsa (prior 1.0) covers CM better.
    assert data["schema_version"] == SCHEMA_VERSION and data["recommended"] == ["dce", "tsa"]
    assert data["evidence"]["mem"] == {"tried": 3, "fixed": 2}
    assert data["fama_dspy_version"] and data["created_at"]


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"model": "m", "domain": ', "not readable JSON"),
        ("[1, 2]", "JSON object"),
        ('{"schema_version": 99, "model": "m", "domain": "d"}', "schema_version 99"),
    ],
)
def test_corrupted_files_raise_config_error(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message) as err:
        FailureProfile.load(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"recommended": ["dce", "xyz"]}, "recommended"),
        ({"category_frequencies": {"DPV": 1.5}}, "category_frequencies"),
        ({"evidence": {"dce": {"tried": 1, "fixed": 2}}}, "fixed <= tried"),
        ({"recommended": ["dce", "mem", "ver"]}, "budget"),
        ({"surprise": 1}, "surprise"),
        ({"model": None}, "model"),
    ],
)
def test_invalid_content_raises_config_error_naming_the_field(tmp_path, change, field):
    data = json.loads(_profile().model_dump_json())
    data.update(change)
    path = tmp_path / "invalid.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match="is invalid") as err:
        FailureProfile.load(path)
    assert field in str(err.value)


def test_missing_file_raises_config_error(tmp_path):
    with pytest.raises(ConfigError, match="No failure profile"):
        FailureProfile.load(tmp_path / "nope.json")


def test_recommended_codes_are_lower_case():
    profile = FailureProfile(model="m", domain="d", recommended=["DCE", " Mem "])
    assert profile.recommended == ["dce", "mem"]


def test_same_model_through_another_route_is_compatible():
    profile = _profile()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert profile.check_compatible("qwen2.5-coder-1.5b", "Airline")
        assert profile.check_compatible("openai/Qwen2.5-Coder-1.5B", "airline")
        assert profile.check_compatible("local:qwen2.5-coder-1.5b", "airline")  # the embedded server's model
        assert profile.check_compatible("local", "airline")  # the bare spec: the default embedded model


@pytest.mark.parametrize(
    "model, domain, mentioned",
    [
        ("openai/qwen2.5-coder-0.5b", "airline", "model"),
        ("local:qwen2.5-coder-0.5b", "airline", "model"),
        ("openai/Qwen2.5-Coder-1.5B", "retail", "domain"),
    ],
)
def test_other_model_or_domain_warns(model, domain, mentioned):
    with pytest.warns(UserWarning, match=f"made for {mentioned}"):
        assert _profile().check_compatible(model, domain) is False
