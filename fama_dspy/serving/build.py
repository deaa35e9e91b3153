"""Build llama.cpp's ``llama-server`` once per machine, from source that PyPI serves.

Why this route: ``llama-server`` keeps a prompt cache per slot plus a host-memory cache and
batches parallel slots, which measured 1.5-4x faster than llama-cpp-python's server on our
multi-agent pattern (docs/design.md §7). PyPI ships no portable prebuilt ``llama-server``, but the
``llama-cpp-python`` sdist vendors the full llama.cpp tree (MIT), so ``pip download`` gives us a
pinned, registry-served source and only the server target is compiled.

CPU flags are explicit and portable: ``GGML_NATIVE=OFF`` (a native build enables AMX paths that
segfault on our CPUs), AMX off, and AVX/AVX2/BMI2/FMA/F16C/AVX512 switched on only when the CPU
reports them. The build is cached under ``<cache>/llama.cpp/<source>-<flags-hash>/`` with a
``build-info.json`` recording flags, versions and timing.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from filelock import FileLock
from pydantic import BaseModel

from fama_dspy.errors import ServerBuildError
from fama_dspy.paths import server_build_dir

LLAMA_CPP_PYTHON_VERSION = "0.3.36"
SOURCE_ID = f"llama-cpp-python-{LLAMA_CPP_PYTHON_VERSION}"
BINARY_NAME = "llama-server"

#: cmake option -> /proc/cpuinfo flag that must be present to enable it.
_CPU_OPTIONS = {
    "GGML_AVX": "avx",
    "GGML_AVX2": "avx2",
    "GGML_BMI2": "bmi2",
    "GGML_FMA": "fma",
    "GGML_F16C": "f16c",
    "GGML_AVX512": "avx512f",
}
_ALWAYS = [
    "-DGGML_NATIVE=OFF",
    "-DGGML_AMX_TILE=OFF",
    "-DGGML_AMX_INT8=OFF",
    "-DGGML_AMX_BF16=OFF",
    "-DCMAKE_BUILD_TYPE=Release",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_SERVER=ON",
    "-DLLAMA_CURL=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DBUILD_SHARED_LIBS=OFF",
    # The sdist has no .git; without these the build would stamp the commit of any git repo
    # it happens to be extracted under.
    "-DLLAMA_BUILD_NUMBER=0",
    f"-DLLAMA_BUILD_COMMIT={SOURCE_ID}",
]


class ServerBuild(BaseModel):
    """What ``build-info.json`` records about a ``llama-server`` binary."""

    binary: Path
    source: str
    version_output: str
    cmake_flags: list[str]
    cpu_features: list[str]
    machine: str
    built_at: str
    build_seconds: float


def cpu_features() -> set[str]:
    """CPU feature flags of this machine (empty where /proc/cpuinfo does not exist)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def cmake_flags(features: set[str] | None = None) -> list[str]:
    """The cmake configure flags for this machine (portable, AMX always off)."""
    features = cpu_features() if features is None else features
    flags = list(_ALWAYS)
    is_x86 = platform.machine().lower() in {"x86_64", "amd64"}
    for option, cpu_flag in _CPU_OPTIONS.items():
        enabled = is_x86 and cpu_flag in features
        flags.append(f"-D{option}={'ON' if enabled else 'OFF'}")
    return flags


def build_dir_for(flags: list[str]) -> Path:
    digest = hashlib.sha256("\n".join(flags).encode()).hexdigest()[:10]
    return server_build_dir() / f"{SOURCE_ID}-{digest}"


def load_build_info(folder: Path) -> ServerBuild | None:
    info = folder / "build-info.json"
    if not info.is_file():
        return None
    build = ServerBuild.model_validate_json(info.read_text())
    return build if build.binary.is_file() else None


def find_server_binary() -> ServerBuild | None:
    """The server to use: ``$FAMA_LLAMA_SERVER`` if set, else our cached build, else None."""
    external = os.environ.get("FAMA_LLAMA_SERVER")
    if external:
        path = Path(external).expanduser()
        if not path.is_file():
            raise ServerBuildError(f"FAMA_LLAMA_SERVER={external} does not exist")
        return ServerBuild(
            binary=path,
            source="external ($FAMA_LLAMA_SERVER)",
            version_output=_version_output(path),
            cmake_flags=[],
            cpu_features=[],
            machine=platform.machine(),
            built_at="",
            build_seconds=0.0,
        )
    return load_build_info(build_dir_for(cmake_flags()))


def ensure_server_binary(log: Callable[[str], None] = print) -> ServerBuild:
    """Return the server build, compiling it first if this machine has none (~4-5 min on 2 cores).

    Safe when several processes call it at once: a file lock serialises the build and the
    binary appears in its final place only when complete.
    """
    found = find_server_binary()
    if found is not None:
        return found
    flags = cmake_flags()
    folder = build_dir_for(flags)
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder) + ".lock"):
        found = load_build_info(folder)
        if found is not None:
            return found
        return _build(folder, flags, log)


def _require_tools() -> None:
    missing = [tool for tool in ("cmake", "c++", "make") if shutil.which(tool) is None]
    if missing:
        raise ServerBuildError(
            f"building llama-server needs {', '.join(missing)} on PATH "
            "(Debian/Ubuntu: apt install cmake build-essential), "
            "or point FAMA_LLAMA_SERVER at an existing llama-server binary"
        )


def fetch_sdist(dest: Path) -> Path:
    """The llama-cpp-python sdist: ``$FAMA_LLAMA_CPP_SDIST`` if set, else ``pip download``."""
    local = os.environ.get("FAMA_LLAMA_CPP_SDIST")
    if local:
        path = Path(local).expanduser()
        if not path.is_file():
            raise ServerBuildError(f"FAMA_LLAMA_CPP_SDIST={local} does not exist")
        return path
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--no-binary",
        ":all:",
        f"llama-cpp-python=={LLAMA_CPP_PYTHON_VERSION}",
        "-d",
        str(dest),
    ]
    # Build isolation stays on: pip needs the sdist's build backend (scikit-build-core) to read
    # its metadata, and `--no-build-isolation` fails where that backend is not installed.
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)  # the result is checked below
    found = sorted(dest.glob("llama_cpp_python-*.tar.gz"))
    if not found:
        raise ServerBuildError(
            "could not download the llama-cpp-python sdist "
            f"(pip exit {done.returncode}): {done.stderr.strip()[-800:]}"
        )
    return found[0]


def _extract_llama_cpp(sdist: Path, dest: Path) -> Path:
    marker = "/vendor/llama.cpp/"
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
        # Some sdists also carry the submodule's git metadata (``.git/modules/vendor/llama.cpp/``),
        # which matches the marker too: the tree to build is the one with a top-level CMakeLists.
        tops = sorted(
            (n[: -len("CMakeLists.txt")] for n in names if n.endswith(marker + "CMakeLists.txt")),
            key=len,
        )
        if not tops:
            raise ServerBuildError(f"{sdist.name} has no vendor/llama.cpp tree")
        tree = tops[0]
        members = [m for m in tar.getmembers() if m.name.startswith(tree)]
        tar.extractall(dest, members=members, filter="data")
    return dest / tree.rstrip("/")


def _run(cmd: list[str], cwd: Path, log_file: Path) -> None:
    with log_file.open("a") as out:
        out.write(f"$ {' '.join(cmd)}\n")
        out.flush()
        done = subprocess.run(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        tail = log_file.read_text()[-2000:]
        raise ServerBuildError(
            f"`{' '.join(cmd[:3])} ...` failed (exit {done.returncode}); log {log_file}:\n{tail}"
        )


def _version_output(binary: Path) -> str:
    try:
        done = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable: {exc}"
    return " ".join((done.stdout + done.stderr).split())


class _BuildProgress:
    """One rich line per build step with a spinner and the elapsed time (stderr; plain lines off a terminal)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        )

    def __enter__(self) -> Self:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._progress.__exit__(*exc)

    @contextmanager
    def step(self, description: str) -> Iterator[None]:
        task = self._progress.add_task(description, total=1)
        yield
        self._progress.update(task, completed=1, description=f"{description}: done")
        self._progress.stop_task(task)


def _build(folder: Path, flags: list[str], log: Callable[[str], None]) -> ServerBuild:
    _require_tools()
    started = time.monotonic()
    log_file = folder / "build.log"
    log_file.write_text("")
    jobs = str(max(1, os.cpu_count() or 1))
    with tempfile.TemporaryDirectory(prefix="fama-llama-build-", dir=folder.parent) as tmp_name:
        tmp = Path(tmp_name)
        log(
            f"building llama-server once for this machine ({SOURCE_ID}, {jobs} jobs; about 5-10 min on 2 cores); "
            f"log: {log_file}"
        )
        build = tmp / "build"
        # A visible step and its elapsed time: the compile is long and otherwise silent.
        with _BuildProgress() as progress:
            with progress.step("fetching the llama.cpp source (sdist from PyPI)"):
                source = _extract_llama_cpp(fetch_sdist(tmp / "sdist"), tmp / "src")
            with progress.step("configuring (cmake)"):
                _run(["cmake", "-S", str(source), "-B", str(build), *flags], tmp, log_file)
            with progress.step(f"compiling {BINARY_NAME}"):
                _run(["cmake", "--build", str(build), "--target", BINARY_NAME, "-j", jobs], tmp, log_file)
        built = next((p for p in build.rglob(BINARY_NAME) if p.is_file() and os.access(p, os.X_OK)), None)
        if built is None:
            raise ServerBuildError(f"build finished but no {BINARY_NAME} binary was produced; log {log_file}")
        bin_dir = folder / "bin"
        bin_dir.mkdir(exist_ok=True)
        staged = bin_dir / f".{BINARY_NAME}.tmp"
        shutil.copy2(built, staged)
        os.replace(staged, bin_dir / BINARY_NAME)
    binary = bin_dir / BINARY_NAME
    info = ServerBuild(
        binary=binary,
        source=f"{SOURCE_ID} sdist, vendor/llama.cpp",
        version_output=_version_output(binary),
        cmake_flags=flags,
        cpu_features=sorted(set(_CPU_OPTIONS.values()) & cpu_features()),
        machine=platform.machine(),
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        build_seconds=round(time.monotonic() - started, 1),
    )
    staged_info = folder / ".build-info.json.tmp"
    staged_info.write_text(json.dumps(info.model_dump(mode="json"), indent=2))
    os.replace(staged_info, folder / "build-info.json")
    log(f"built {binary} in {info.build_seconds:.0f} s")
    return info
