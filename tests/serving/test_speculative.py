"""Speculative decoding options of the embedded server: flags, validation, reuse by mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fama_dspy.errors import ConfigError
from fama_dspy.serving import server as srv


def test_off_adds_no_flags():
    assert srv.speculative_args("qwen2.5-coder-1.5b", "off", threads=2) == []


def test_ngram_drafts_from_the_context_without_a_second_model():
    args = srv.speculative_args("qwen2.5-coder-0.5b", "ngram", threads=2)
    assert args[:2] == ["--spec-type", "ngram-simple"]
    assert "--model-draft" not in args
    assert args[args.index("--spec-draft-n-max") + 1] == str(srv.DRAFT_TOKENS)


def test_draft_uses_the_smaller_sibling(monkeypatch):
    monkeypatch.setattr(srv, "ensure_model", lambda name: Path(f"/models/{name}.gguf"))
    args = srv.speculative_args("qwen2.5-coder-1.5b", "draft", threads=3)
    assert args[args.index("--model-draft") + 1] == "/models/qwen2.5-coder-0.5b.gguf"
    assert args[args.index("--spec-type") + 1] == "draft-simple"
    assert args[args.index("--threads-draft") + 1] == "3"


def test_a_model_without_a_draft_and_an_unknown_mode_are_clear_errors():
    with pytest.raises(ConfigError, match="no draft model for qwen2.5-coder-0.5b"):
        srv.speculative_args("qwen2.5-coder-0.5b", "draft", threads=2)
    with pytest.raises(ConfigError, match="unknown speculative mode 'eagle'"):
        srv.speculative_args("qwen2.5-coder-1.5b", "eagle", threads=2)
    with pytest.raises(ConfigError, match="unknown speculative mode"):
        srv.LocalServer("qwen2.5-coder-0.5b", speculative="fast")


def test_the_server_command_carries_the_mode():
    server = srv.LocalServer("qwen2.5-coder-0.5b", speculative="ngram", threads=2)
    cmd = server.command(Path("/bin/llama-server"), Path("/m.gguf"), 8080)
    assert cmd[cmd.index("--spec-type") + 1] == "ngram-simple"
    plain = srv.LocalServer("qwen2.5-coder-0.5b", threads=2).command(Path("/b"), Path("/m"), 1)
    assert "--spec-type" not in plain


def _record(tmp_path: Path, port: int, speculative: str | None) -> None:
    from fama_dspy.serving.models import get_model

    spec = get_model("qwen2.5-coder-0.5b")
    data = {
        "pid": 1,
        "port": port,
        "model": spec.name,
        "sha256": spec.sha256,
        "ctx_per_slot": 2048,
        "parallel": 1,
        "log_file": "x.log",
        "started_at": 0.0,
    }
    if speculative is not None:
        data["speculative"] = speculative
    (tmp_path / f"{port}.json").write_text(json.dumps(data))


def test_reuse_by_mode_and_records_older_than_the_option(tmp_path, monkeypatch):
    monkeypatch.setattr(srv, "servers_state_dir", lambda: tmp_path)
    monkeypatch.setattr(srv, "_pid_alive", lambda pid: True)
    monkeypatch.setattr(srv, "is_healthy", lambda url, timeout=2.0: True)
    _record(tmp_path, 9001, None)  # written before servers recorded their mode: plain decoding
    assert srv.find_reusable("qwen2.5-coder-0.5b").speculative == "off"
    assert srv.find_reusable("qwen2.5-coder-0.5b", "ngram") is None
    _record(tmp_path, 9002, "ngram")
    assert srv.find_reusable("qwen2.5-coder-0.5b", "ngram").port == 9002
    assert srv.find_reusable("qwen2.5-coder-0.5b", "off").port == 9001
