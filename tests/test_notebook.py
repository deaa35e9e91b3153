"""The quickstart notebook runs top to bottom on the scripted LMs (no model) and shows its key results.

The notebook is executed with nbclient on a ``python3`` kernel that runs this interpreter: a
kernelspec pointing at ``sys.executable`` is installed into a temporary prefix and put first on
``JUPYTER_PATH``, so a kernelspec elsewhere on the machine (another Python without fama-dspy) cannot
be picked. ``FAMA_NOTEBOOK_MODEL`` is unset (scripted LMs) and ``TMPDIR`` points into the test's
temporary directory, where the notebook writes everything.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
import pytest
from ipykernel.kernelspec import install as install_kernelspec
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "quickstart.ipynb"
CELL_TIMEOUT_S = 120


@pytest.fixture
def python3_kernel(tmp_path, monkeypatch):
    """A ``python3`` kernelspec running this interpreter, found before any other."""
    prefix = tmp_path / "jupyter-prefix"
    install_kernelspec(kernel_name="python3", prefix=str(prefix))
    monkeypatch.setenv("JUPYTER_PATH", str(prefix / "share" / "jupyter"))
    spec = KernelSpecManager().get_kernel_spec("python3")
    assert Path(spec.argv[0]) == Path(sys.executable), spec.argv
    return "python3"


def _outputs_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                parts.append(out.text)
            elif out.output_type in ("execute_result", "display_data"):
                parts.extend(str(out.data.get(kind, "")) for kind in ("text/plain", "text/markdown"))
    return "\n".join(parts)


def test_the_stored_notebook_is_clean():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_quickstart_runs_on_scripted_lms(python3_kernel, tmp_path, monkeypatch):
    monkeypatch.delenv("FAMA_NOTEBOOK_MODEL", raising=False)
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    notebook_dir = NOTEBOOK.parent
    files_before = sorted(p.relative_to(notebook_dir) for p in notebook_dir.rglob("*"))

    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=python3_kernel,
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(notebook_dir)}},
    )
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError, with the cell and its traceback, on any error
    elapsed = time.perf_counter() - started
    print(f"notebook executed in {elapsed:.1f} s")

    errors = [out for c in nb.cells for out in c.get("outputs", []) if out.output_type == "error"]
    assert not errors
    text = _outputs_text(nb)
    assert "Running on scripted LMs" in text
    # step 2: one decision, with both specialists' sections
    assert 'action:          get_order_details({"order_id": "#W123"})' in text
    assert "specialists ran: ['dce', 'mem']" in text
    assert "## Policy checklist (DCE)" in text and "## User requests so far (MEM)" in text
    # step 3: one solved and one (deliberately) failed episode
    assert "create_task_1: reward 1.0, termination agent_stop" in text
    assert "update_task_1: reward 0.0, termination agent_stop" in text
    assert "decision 0: create_task(" in text
    # step 4: the failure analysis and the saved, reloaded profile
    assert "1 failed episode(s), 0 harness error(s)" in text
    assert "update_task_1: errors found ['IFU']; primary ['IFU']" in text
    assert "recommended subset: ['mem']" in text
    assert "explanation: Smallest set reaching 80% coverage: mem" in text
    # step 5: GEPA changed the solo agent's instruction, the check kept it, the program reloads with it
    assert "kept: tuned | predictors changed by GEPA: ['agent.decide_solo']" in text
    assert "agent.decide_solo changed." in text and "after:  Follow the TICKET-CHECKLIST" in text
    # step 7: FamaReAct over two Python tools, compiled with our own metric, saved and reloaded
    assert "Noma: T2 (finished, 3 steps, calls ['find_table', 'book_table', 'done'])" in text
    assert (
        "predictors: ['fama.agent.decide', 'fama.agent.decide_solo', 'fama.ver.verify', 'extract.predict']"
        in text
    )
    assert "reloaded bot: T5" in text
    # step 6: the report
    assert "# Benchmark report" in text and "| fama[react:dce+mem] | react | 2 | 2 | 0.500 |" in text

    # everything was written under the temporary directory, nothing next to the notebook
    [work] = temp.glob("fama-quickstart-*")
    for path in (
        "run/episodes.jsonl",
        "profiles/mock.json",
        "compiled/mock.json",
        "run/report/report.md",
        "booking-bot.json",
    ):
        assert (work / path).is_file(), path
    assert sorted(p.relative_to(notebook_dir) for p in notebook_dir.rglob("*")) == files_before
    assert os.environ.get("FAMA_NOTEBOOK_MODEL") is None
