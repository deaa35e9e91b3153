"""The programs shipped in ``data/compiled/`` load as JSON (no unpickling) and hold what they claim."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from fama_dspy import load_program

COMPILED = sorted((Path(__file__).resolve().parents[2] / "data" / "compiled").glob("*.json"))


@pytest.mark.parametrize("path", COMPILED, ids=[p.stem for p in COMPILED])
def test_committed_program_loads_and_matches_its_record(path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    info = raw["fama_program"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an older prompt layout is announced, not an error
        program = load_program(path)
    assert program.base == raw["fama"]["base"]
    assert sorted(program.active_specialists) == sorted(raw["fama"]["specialists"])
    if info["tuning"]["optimizer"] == "demos" and info["kept"] == "tuned":
        # a kept demos program carries the demonstrations its record names
        assert len(program.agent.decide.demos) == info["tuning"]["k"] == len(info["tuning"]["chosen"]) > 0


def test_the_demo_programs_of_both_domains_are_shipped():
    stems = {p.stem for p in COMPILED}
    for domain in ("airline", "retail"):
        assert f"qwen2.5-coder-1.5b__react__{domain}__demos" in stems
        assert f"qwen2.5-coder-1.5b__fama-react-mem__{domain}__demos" in stems
