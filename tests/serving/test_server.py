"""Lifecycle of the real llama-server with the 0.5B model, and real round trips through LiteLLM."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from fama_dspy.errors import ServerStartError
from fama_dspy.serving import server as srv

pytestmark = pytest.mark.real_model
FAST = "qwen2.5-coder-0.5b"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); check its state.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return False


def test_start_health_reuse_and_clean_stop():
    server = srv.LocalServer(FAST, parallel=1, ctx_per_slot=4096)
    with server as info:
        assert info.api_base.startswith("http://127.0.0.1:")
        assert srv.is_healthy(info.base_url)
        reused = srv.find_reusable(FAST)
        assert reused is not None and reused.pid in {s.pid for s in srv.running_servers()}
        with srv.local_server(FAST, reuse=True) as again:
            assert again.pid == reused.pid  # no second server was started
        models = httpx.get(f"{info.api_base}/models", timeout=5).json()
        assert FAST in json.dumps(models)
        pid = info.pid
    deadline = time.time() + 10
    while _alive(pid) and time.time() < deadline:
        time.sleep(0.1)
    assert not _alive(pid)
    assert pid not in {s.pid for s in srv.running_servers()}


def test_port_already_taken_is_a_clear_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        with pytest.raises(ServerStartError, match=f"port {port}"):
            srv.LocalServer(FAST, port=port).start()


def test_server_dies_with_its_parent_process(tmp_path):
    """No orphans: a process that started a server and is killed takes the server with it."""
    script = (
        "from fama_dspy.serving.server import LocalServer\n"
        f"info = LocalServer({FAST!r}, parallel=1, ctx_per_slot=2048).start()\n"
        "print(info.pid, flush=True)\n"
        "import time; time.sleep(600)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        pid = int(proc.stdout.readline())
        assert _alive(pid)
        proc.kill()  # SIGKILL: no atexit, no finally
        proc.wait(10)
        deadline = time.time() + 10
        while _alive(pid) and time.time() < deadline:
            time.sleep(0.1)
        assert not _alive(pid)
    finally:
        proc.kill()


def test_fama_serve_answers_then_stops_on_sigint(tmp_path):
    port = srv.free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fama_dspy.cli",
            "serve",
            "--model",
            FAST,
            "--port",
            str(port),
            "--parallel",
            "1",
            "--ctx",
            "2048",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 180
        while not srv.is_healthy(base) and time.time() < deadline:
            assert proc.poll() is None, proc.stdout.read()
            time.sleep(0.3)
        reply = httpx.post(
            f"{base}/v1/chat/completions",
            json={"model": FAST, "messages": [{"role": "user", "content": "Say hi."}], "max_tokens": 8},
            timeout=60,
        ).json()
        assert reply["choices"][0]["message"]["content"]
        server_pid = next(s.pid for s in srv.running_servers() if s.port == port)
        proc.send_signal(2)  # Ctrl-C
        assert proc.wait(90) == 0  # generous: a loaded 2-core CI machine shuts down slowly
        time.sleep(0.5)
        assert not _alive(server_pid)
    finally:
        proc.kill()


def test_ngram_speculative_server_drafts_and_answers():
    """``--speculative ngram`` starts, answers under a JSON schema, and the server reports drafting."""
    schema = {
        "type": "object",
        "properties": {"ids": {"type": "array", "items": {"type": "string"}, "maxItems": 4}},
        "required": ["ids"],
        "additionalProperties": False,
    }
    prompt = "Reservations: ABC123, XYZ789, QWE456. Return their ids as JSON."
    with srv.LocalServer(FAST, parallel=1, ctx_per_slot=2048, speculative="ngram") as info:
        assert info.speculative == "ngram"
        assert srv.find_reusable(FAST, "ngram").pid == info.pid
        reply = httpx.post(
            f"{info.api_base}/chat/completions",
            json={
                "model": FAST,
                "messages": [{"role": "user", "content": prompt}],
                "max_tokens": 48,
                "temperature": 0,
                "response_format": {"type": "json_schema", "json_schema": {"name": "ids", "schema": schema}},
            },
            timeout=120,
        ).json()
    assert isinstance(json.loads(reply["choices"][0]["message"]["content"])["ids"], list)
    assert "draft_n" in reply.get("timings", {}), reply.get("timings")
