"""The README's Python examples run as written (with the model swapped for a rule LM, offline)."""

import json
import re
import runpy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "optimizers"))
from opt_helpers import rule_lm

README = Path(__file__).resolve().parent.parent / "README.md"


def python_block(after_heading: str) -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index(after_heading) :]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def booking_model(role, system, text):
    # The current turn starts at its ticket (policy and tools open the system message).
    text = text[text.rfind("[[ ## ticket ## ]]") :] if "`call`" in system else text
    if "`call`" in system:
        if "Booked" in text:
            return json.dumps({"reasoning": "done", "call": {"tool_name": "done", "arguments": {}}})
        if m := re.search(r'"table": "(T\d+)"', text):
            return json.dumps(
                {
                    "reasoning": "book",
                    "call": {"tool_name": "book_table", "arguments": {"restaurant": "Noma", "table": m[1]}},
                }
            )
        return json.dumps(
            {
                "reasoning": "find",
                "call": {"tool_name": "find_table", "arguments": {"restaurant": "Noma", "people": 2}},
            }
        )
    if "`verdict`" in system:
        return json.dumps({"reason": "found free", "verdict": "PASS"})
    booked = re.search(r"Booked (T\d+)", text)
    return json.dumps({"reasoning": "read", "confirmation": booked[1] if booked else "none"})


def test_famareact_readme_example_runs_as_written(monkeypatch, capsys, tmp_path):
    import fama_dspy

    lm, _ = rule_lm(booking_model)
    monkeypatch.setattr(fama_dspy, "make_lm", lambda spec="local", **kw: lm, raising=False)
    code = python_block("## FAMA over your own Python tools")
    script = tmp_path / "readme_example.py"  # our own README's code, run as a script
    script.write_text(code, encoding="utf-8")
    runpy.run_path(str(script), run_name="readme_example")
    out = capsys.readouterr().out
    assert out.startswith("T2 finished {")
    assert "'tool_name_1': 'book_table'" in out
