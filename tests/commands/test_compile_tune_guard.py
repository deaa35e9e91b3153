"""``fama compile`` and ``fama tune`` refuse the test split before any model is started."""

from __future__ import annotations

import pytest

from fama_dspy import cli
from fama_dspy.commands import compile as compile_command  # noqa: F401  # bound before any patching
from fama_dspy.commands import run as run_command  # noqa: F401
from fama_dspy.commands import tune as tune_command  # noqa: F401


@pytest.fixture
def no_model(monkeypatch):
    def refuse(*_a, **_k):
        raise AssertionError("a model was built before the split guard ran")

    monkeypatch.setattr("fama_dspy.commands.compile.make_lm_from_args", refuse)
    monkeypatch.setattr("fama_dspy.commands.tune.make_lm_from_args", refuse)


@pytest.mark.parametrize(
    "argv",
    [
        ["compile", "--domain", "airline", "--split", "test", "--agent", "react"],
        ["tune", "--domain", "retail", "--split", "test", "--profile", "p.json"],
    ],
)
def test_test_split_is_refused_without_the_flag(argv, no_model, capsys):
    assert cli.main(argv) == 2
    assert "test" in capsys.readouterr().err.lower()


def test_unknown_agent_options_are_one_line_errors(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr("fama_dspy.commands.run.make_lm_from_args", lambda args: object())
    code = cli.main(["run", "--domain", "mock", "--agent", "fama", "--out", str(tmp_path / "run")])
    assert code == 2
    assert "--specialists" in capsys.readouterr().err


def test_dead_endpoint_is_one_line_not_a_stack_trace(capsys, tmp_path):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code = cli.main(
        [
            "run",
            "--domain",
            "mock",
            "--agent",
            "react",
            "--model",
            "openai/x",
            "--api-base",
            f"http://127.0.0.1:{port}/v1",
            "--out",
            str(tmp_path / "run"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "cannot reach the model endpoint" in err and "Traceback" not in err


def test_step_limit_and_threads_reach_the_pipelines(monkeypatch, tmp_path):
    seen = {}

    class Stop(Exception):
        pass

    def capture(name):
        def fake(*args, **kwargs):
            seen[name] = (args, kwargs)
            raise Stop

        return fake

    monkeypatch.setattr("fama_dspy.commands.compile.make_lm_from_args", lambda args: object())
    monkeypatch.setattr("fama_dspy.commands.tune.make_lm_from_args", lambda args: object())
    monkeypatch.setattr("fama_dspy.optimizers.pipeline.compile_program", capture("compile"))
    monkeypatch.setattr("fama_dspy.optimizers.pipeline.tune_program_activation", capture("tune"))
    with pytest.raises(Stop):
        cli.main(
            ["compile", "--domain", "airline", "--agent", "react", "--solo-max-steps", "12", "--threads", "2"]
        )
    with pytest.raises(Stop):
        cli.main(
            ["tune", "--domain", "airline", "--profile", "p.json", "--solo-max-steps", "9", "--threads", "3"]
        )
    (_, _, data, settings), kwargs = seen["compile"]
    assert (kwargs["solo"].max_steps, settings.num_threads, data.domain) == (12, 2, "airline")
    (_, _, data, settings), kwargs = seen["tune"]
    assert (kwargs["solo"].max_steps, settings.num_threads, data.benchmark) == (9, 3, "tau2")
