"""Errors that the CLI turns into a one-line message instead of a stack trace."""

from __future__ import annotations


class FamaError(RuntimeError):
    """Base class for errors a user can act on; the message says what to do."""


class ConfigError(FamaError, ValueError):
    """A model spec, flag or config file is invalid."""


class ModelNotInstalledError(FamaError):
    """The chunk packages of a local model are not installed."""


class ModelIntegrityError(FamaError):
    """An assembled model file does not match its expected size or SHA-256."""


class ServerBuildError(FamaError):
    """Building the llama.cpp server failed."""


class ServerStartError(FamaError):
    """The local server did not start or did not become healthy."""


class EndpointUnreachableError(FamaError, ConnectionError):
    """A model endpoint cannot be reached (dead server, wrong api_base)."""
