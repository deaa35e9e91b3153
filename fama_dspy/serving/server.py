"""Lifecycle of the embedded ``llama-server``: start on loopback, wait for health, reuse, stop.

Servers we start are recorded in ``<cache>/servers/<port>.json`` so that another process (a test
run, a second ``fama run``) can reuse a healthy server of the same model instead of loading the
weights again. A server dies with the process that started it (``PR_SET_PDEATHSIG`` on Linux, plus
``atexit``), so a crash or Ctrl-C never leaves an orphan holding 1-2 GB of RAM.
"""

from __future__ import annotations

import atexit
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from fama_dspy.errors import ConfigError, ServerStartError
from fama_dspy.paths import logs_dir, servers_state_dir
from fama_dspy.serving.build import ensure_server_binary
from fama_dspy.serving.models import DRAFT_MODELS, ensure_model, get_model

HOST = "127.0.0.1"  # never 0.0.0.0: the server has no authentication.
DEFAULT_PARALLEL = 4
# llama-server divides -c among the slots; τ²-bench telecom prompts alone reach ~6k tokens and
# episodes grow, so every slot gets 16k of its own.
DEFAULT_CTX_PER_SLOT = 16384
# Host-memory prompt cache (MiB): keeps alternating agents' prefixes warm across slots.
DEFAULT_CACHE_RAM_MIB = 4096
#: Speculative decoding of the embedded server: ``off``; ``ngram`` drafts from n-grams already in
#: the prompt and the answer so far (no second model: tool calls copy ids and names from the
#: context); ``draft`` drafts with the model's smaller sibling (``DRAFT_MODELS``). Greedy outputs
#: are the target model's either way; which one is faster is measured by ``scripts/throughput.py``.
SPECULATIVE_MODES = ("off", "ngram", "draft")
DEFAULT_SPECULATIVE = "off"
#: Tokens drafted per step. Verification of a drafted run costs about one prompt-processing pass.
DRAFT_TOKENS = 8
#: Tokens an n-gram draft must match in the context before it is proposed.
NGRAM_LOOKUP = 3


@dataclass
class ServerInfo:
    """A running server, as recorded on disk for reuse."""

    pid: int
    port: int
    model: str
    sha256: str
    ctx_per_slot: int
    parallel: int
    log_file: str
    started_at: float
    speculative: str = "off"  # records written before the option existed had none

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/v1"


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def is_healthy(base_url: str, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(f"{base_url}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_servers() -> list[ServerInfo]:
    """Recorded servers whose process is alive; stale records are removed."""
    found = []
    for record in servers_state_dir().glob("*.json"):
        try:
            info = ServerInfo(**json.loads(record.read_text()))
        except (OSError, ValueError, TypeError):
            record.unlink(missing_ok=True)
            continue
        if _pid_alive(info.pid):
            found.append(info)
        else:
            record.unlink(missing_ok=True)
    return found


def find_reusable(model: str, speculative: str | None = None) -> ServerInfo | None:
    """A healthy server already serving the same (verified) model file, if any.

    ``speculative=None`` accepts any decoding mode (greedy answers are the same model's); a mode
    asks for exactly that one (the throughput benchmark compares modes).
    """
    spec = get_model(model)
    for info in running_servers():
        if (
            info.model == spec.name
            and info.sha256 == spec.sha256
            and (speculative is None or info.speculative == speculative)
            and is_healthy(info.base_url)
        ):
            return info
    return None


def check_speculative(mode: str) -> str:
    if mode not in SPECULATIVE_MODES:
        raise ConfigError(f"unknown speculative mode {mode!r}; choose one of {', '.join(SPECULATIVE_MODES)}")
    return mode


def speculative_args(model: str, mode: str, threads: int) -> list[str]:
    """llama-server flags for a speculative decoding mode (see ``SPECULATIVE_MODES``)."""
    if check_speculative(mode) == "off":
        return []
    if mode == "ngram":
        # A short lookup: ids and names are copied a few tokens at a time, not in 12-token runs.
        return [
            "--spec-type",
            "ngram-simple",
            "--spec-ngram-simple-size-n",
            str(NGRAM_LOOKUP),
            "--spec-ngram-simple-size-m",
            str(DRAFT_TOKENS),
            "--spec-draft-n-max",
            str(DRAFT_TOKENS),
        ]
    draft = DRAFT_MODELS.get(get_model(model).name)
    if draft is None:
        raise ConfigError(
            f"no draft model for {model}; speculative 'draft' is available for {', '.join(DRAFT_MODELS)}"
        )
    return [
        "--spec-type",
        "draft-simple",
        "--model-draft",
        str(ensure_model(draft)),
        "--spec-draft-n-max",
        str(DRAFT_TOKENS),
        "--threads-draft",
        str(threads),
    ]


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: ask the kernel to SIGTERM it if we die.
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except OSError:
            pass


class LocalServer:
    """One ``llama-server`` process serving one embedded model on 127.0.0.1.

    Use as a context manager, or ``start()``/``stop()``. ``port=None`` picks a free port.
    """

    def __init__(
        self,
        model: str | None = None,
        port: int | None = None,
        ctx_per_slot: int = DEFAULT_CTX_PER_SLOT,
        parallel: int = DEFAULT_PARALLEL,
        threads: int | None = None,
        cache_ram_mib: int = DEFAULT_CACHE_RAM_MIB,
        speculative: str = DEFAULT_SPECULATIVE,
        startup_timeout: float = 300.0,
        log: Callable[[str], None] = lambda _msg: None,
    ):
        self.spec = get_model(model)
        self.speculative = check_speculative(speculative)
        self.port = port
        self.ctx_per_slot = ctx_per_slot
        self.parallel = parallel
        self.threads = threads or os.cpu_count() or 2
        self.cache_ram_mib = cache_ram_mib
        self.startup_timeout = startup_timeout
        self.log = log
        self.process: subprocess.Popen | None = None
        self.info: ServerInfo | None = None
        self._record: Path | None = None

    def command(self, binary: Path, model_file: Path, port: int) -> list[str]:
        return [
            str(binary),
            "--model",
            str(model_file),
            "--host",
            HOST,
            "--port",
            str(port),
            "--alias",
            self.spec.name,
            "--ctx-size",
            str(self.ctx_per_slot * self.parallel),
            "--parallel",
            str(self.parallel),
            "--threads",
            str(self.threads),
            "--cache-ram",
            str(self.cache_ram_mib),
            "--jinja",
            "--metrics",
            *speculative_args(self.spec.name, self.speculative, self.threads),
        ]

    def start(self) -> ServerInfo:
        if self.process is not None:
            raise ServerStartError("this server is already started")
        port = self.port if self.port is not None else free_port()
        if not port_is_free(port):
            raise ServerStartError(
                f"port {port} on {HOST} is already in use; pick another with --port or omit it for a free one"
            )
        binary = ensure_server_binary(log=self.log).binary
        model_file = ensure_model(self.spec.name)
        log_file = logs_dir() / f"llama-server-{self.spec.name}-{port}.log"
        cmd = self.command(binary, model_file, port)
        self.log(f"starting llama-server ({self.spec.name}) on {HOST}:{port}; log: {log_file}")
        with log_file.open("ab") as out:
            out.write(f"$ {' '.join(cmd)}\n".encode())
            out.flush()
            self.process = subprocess.Popen(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - only prctl, async-signal-safe
            )
        _STARTED.add(self)
        info = ServerInfo(
            pid=self.process.pid,
            port=port,
            model=self.spec.name,
            sha256=self.spec.sha256,
            ctx_per_slot=self.ctx_per_slot,
            parallel=self.parallel,
            log_file=str(log_file),
            started_at=time.time(),
            speculative=self.speculative,
        )
        try:
            self._wait_healthy(info)
        except BaseException:
            self.stop()
            raise
        self.info = info
        self._record = servers_state_dir() / f"{port}.json"
        self._record.write_text(json.dumps(asdict(info)))
        return info

    def _wait_healthy(self, info: ServerInfo) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            code = self.process.poll() if self.process else None
            if code is not None:
                tail = Path(info.log_file).read_text(errors="replace")[-1500:]
                raise ServerStartError(
                    f"llama-server exited with code {code} during start-up; log tail:\n{tail}"
                )
            if is_healthy(info.base_url, timeout=1.0):
                return
            time.sleep(0.25)
        raise ServerStartError(
            f"llama-server did not become healthy within {self.startup_timeout:.0f} s; see {info.log_file}"
        )

    def stop(self, timeout: float = 15.0) -> None:
        process, self.process = self.process, None
        if self._record is not None:
            self._record.unlink(missing_ok=True)
            self._record = None
        _STARTED.discard(self)
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)

    def __enter__(self) -> ServerInfo:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


_STARTED: set[LocalServer] = set()
_shared_lock = threading.Lock()
_shared: dict[str, ServerInfo] = {}


@atexit.register
def _stop_started_servers() -> None:
    for server in list(_STARTED):
        server.stop()


@contextmanager
def local_server(model: str | None = None, reuse: bool = True, **kwargs) -> Iterator[ServerInfo]:
    """A healthy server for ``model``: an existing one when ``reuse``, else one started (and stopped) here."""
    spec = get_model(model)
    if reuse and (found := find_reusable(spec.name, kwargs.get("speculative"))) is not None:
        yield found
        return
    with LocalServer(spec.name, **kwargs) as info:
        yield info


def ensure_local_server(model: str | None = None, log: Callable[[str], None] = lambda _m: None) -> ServerInfo:
    """A server for ``model`` that lives as long as this process (reused when one already runs).

    This is what the LM factory uses for ``"local"`` specs: one server per model per process.
    """
    spec = get_model(model)
    with _shared_lock:
        info = _shared.get(spec.name)
        if info is not None and is_healthy(info.base_url):
            return info
        info = find_reusable(spec.name)
        if info is None:
            info = LocalServer(spec.name, log=log).start()
        _shared[spec.name] = info
        return info
