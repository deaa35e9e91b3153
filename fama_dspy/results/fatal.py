"""Which exceptions end a whole run instead of one decision or one episode.

A model server that refuses connections would otherwise turn every remaining episode into a
recorded zero within seconds. Such failures abort the run (nothing is recorded for the episode
that hit it), so a rerun with the same output folder resumes once the server is back.
"""

from __future__ import annotations

import httpx

from fama_dspy.errors import EndpointUnreachableError

_FATAL_TYPES = (ConnectionRefusedError, httpx.ConnectError, EndpointUnreachableError)


def _chain(exc: BaseException):
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def is_endpoint_failure(exc: BaseException) -> bool:
    """True when ``exc`` (or anything it wraps: LiteLLM and DSPy wrap several times) is a refused connection."""
    return any(isinstance(e, _FATAL_TYPES) for e in _chain(exc))


def as_endpoint_error(exc: BaseException) -> EndpointUnreachableError:
    if isinstance(exc, EndpointUnreachableError):
        return exc
    root = next((e for e in _chain(exc) if isinstance(e, _FATAL_TYPES)), exc)
    return EndpointUnreachableError(
        f"the model endpoint refused the connection ({type(root).__name__}: {root}); the run stopped. "
        "Finished episodes are saved: start the server again and rerun the same command to resume."
    )
