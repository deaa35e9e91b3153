"""Finding the llama.cpp tree inside the llama-cpp-python sdist (no compiler, no network)."""

from __future__ import annotations

import io
import tarfile

import pytest

from fama_dspy.errors import ServerBuildError
from fama_dspy.serving.build import _extract_llama_cpp


def _sdist(path, files: dict[str, str]):
    with tarfile.open(path, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_the_tree_with_cmakelists_is_extracted_not_the_submodule_git_metadata(tmp_path):
    # Seen on a fresh machine: the sdist also held .git/modules/vendor/llama.cpp/, and picking
    # that root made cmake fail with "does not appear to contain CMakeLists.txt".
    sdist = _sdist(
        tmp_path / "llama_cpp_python-0.3.36.tar.gz",
        {
            "llama_cpp_python-0.3.36/.git/modules/vendor/llama.cpp/config": "[core]",
            "llama_cpp_python-0.3.36/.git/modules/vendor/llama.cpp/HEAD": "ref",
            "llama_cpp_python-0.3.36/vendor/llama.cpp/CMakeLists.txt": "project(llama)",
            "llama_cpp_python-0.3.36/vendor/llama.cpp/tools/server/CMakeLists.txt": "x",
            "llama_cpp_python-0.3.36/llama_cpp/__init__.py": "",
        },
    )
    tree = _extract_llama_cpp(sdist, tmp_path / "src")
    assert tree == tmp_path / "src" / "llama_cpp_python-0.3.36" / "vendor" / "llama.cpp"
    assert (tree / "CMakeLists.txt").read_text() == "project(llama)"
    assert (tree / "tools" / "server" / "CMakeLists.txt").is_file()
    # Only the tree is extracted.
    assert not (tmp_path / "src" / "llama_cpp_python-0.3.36" / ".git").exists()
    assert not (tmp_path / "src" / "llama_cpp_python-0.3.36" / "llama_cpp").exists()


def test_an_sdist_without_the_tree_is_a_clear_error(tmp_path):
    sdist = _sdist(
        tmp_path / "llama_cpp_python-0.3.36.tar.gz",
        {"llama_cpp_python-0.3.36/.git/modules/vendor/llama.cpp/config": "[core]"},
    )
    with pytest.raises(ServerBuildError, match="no vendor/llama.cpp tree"):
        _extract_llama_cpp(sdist, tmp_path / "src")
