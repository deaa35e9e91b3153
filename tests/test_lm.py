"""The LM factory: spec parsing, LiteLLM routing, cache-key separation, clear errors, real round trips."""

from __future__ import annotations

import json
import socket

import dspy
import pytest

from fama_dspy import lm as lm_factory
from fama_dspy.errors import ConfigError, EndpointUnreachableError


def test_local_specs_resolve_without_starting_a_server():
    route = lm_factory.resolve("local", start_server=False)
    assert route.local_model == "qwen2.5-coder-1.5b"
    assert route.litellm_model == "openai/qwen2.5-coder-1.5b"
    fast = lm_factory.resolve("local:qwen2.5-coder-0.5b", start_server=False)
    assert fast.local_model == "qwen2.5-coder-0.5b"
    assert fast.endpoint_id != route.endpoint_id


def test_litellm_specs_and_tau2_pair():
    route = lm_factory.resolve("hosted_vllm/Qwen/Qwen3-4B", api_base="http://127.0.0.1:8000/v1")
    llm, args = route.tau2_llm(temperature=0.0)
    assert llm == "hosted_vllm/Qwen/Qwen3-4B"
    assert args == {"temperature": 0.0, "api_base": "http://127.0.0.1:8000/v1"}
    openai_local = lm_factory.resolve("openai/my-model", api_base="http://127.0.0.1:9/v1")
    assert openai_local.api_key == "none"  # OpenAI-compatible servers need some key
    assert lm_factory.resolve("ollama_chat/qwen3:4b").litellm_model == "ollama_chat/qwen3:4b"


@pytest.mark.parametrize("spec", ["", "gpt4", "local:no-such-model"])
def test_bad_specs_are_config_errors(spec):
    with pytest.raises(ConfigError):
        lm_factory.resolve(spec, start_server=False)


def test_dead_endpoint_is_a_clear_error_not_a_stack_trace():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends: nothing listens
    with pytest.raises(EndpointUnreachableError, match=f"127.0.0.1:{port}"):
        lm_factory.make_lm("openai/whatever", api_base=f"http://127.0.0.1:{port}/v1")


def test_lms_are_routed_through_litellm_and_cache_keys_differ_per_endpoint():
    a = lm_factory.make_lm("openai/same-name", api_base="http://127.0.0.1:1/v1", check=False)
    b = lm_factory.make_lm("openai/same-name", api_base="http://127.0.0.1:2/v1", check=False)
    assert a.engine == "litellm" and b.engine == "litellm"
    request = {"model": a.model, "messages": [{"role": "user", "content": "hi"}]}
    key_a = dspy.cache.cache_key({**request, **a.kwargs}, ["api_key", "api_base", "base_url"])
    key_b = dspy.cache.cache_key({**request, **b.kwargs}, ["api_key", "api_base", "base_url"])
    assert key_a != key_b
    # ...while the embedded model keeps one identity whatever port its server gets.
    first = lm_factory.resolve("local:qwen2.5-coder-0.5b", start_server=False)
    second = lm_factory.resolve("local:qwen2.5-coder-0.5b", start_server=False)
    assert first.endpoint_id == second.endpoint_id


@pytest.mark.real_model
class TestRealRoundTrips:
    """Through the full stack: DSPy/LiteLLM → embedded llama-server → 0.5B model."""

    def test_plain_completion_through_litellm(self, real_server):
        import litellm

        route = lm_factory.resolve("local:qwen2.5-coder-0.5b")
        reply = litellm.completion(
            model=route.litellm_model,
            messages=[{"role": "user", "content": "Reply with the word: pong"}],
            max_tokens=8,
            temperature=0,
            **route.litellm_kwargs(),
        )
        assert reply.choices[0].message.content.strip()
        assert reply.usage.prompt_tokens > 0

    def test_typed_dspy_predict(self, real_server):
        lm = lm_factory.make_lm("local:qwen2.5-coder-0.5b", cache=False, max_tokens=32)
        with dspy.context(lm=lm, adapter=dspy.JSONAdapter()):
            pred = dspy.Predict("question -> answer: int")(question="What is 2 + 3?")
        assert isinstance(pred.answer, int)

    def test_openai_tools_request_is_well_formed(self, real_server, tmp_path):
        """Record what the small coder model does with a `tools` request; never fake tool_calls."""
        import litellm

        route = lm_factory.resolve("local:qwen2.5-coder-0.5b")
        tools = [
            {
                "type": "function",
                "function": {
                    "name": "get_user_details",
                    "description": "Look up a user by id.",
                    "parameters": {
                        "type": "object",
                        "properties": {"user_id": {"type": "string"}},
                        "required": ["user_id"],
                    },
                },
            }
        ]
        reply = litellm.completion(
            model=route.litellm_model,
            tools=tools,
            max_tokens=96,
            temperature=0,
            messages=[{"role": "user", "content": "Look up the details of user mia_li_3668."}],
            **route.litellm_kwargs(),
        )
        message = reply.choices[0].message
        calls = message.tool_calls or []
        for call in calls:  # when the server parsed a call, it must be a well-formed one
            assert call.function.name
            json.loads(call.function.arguments)
        assert calls or (message.content or "").strip(), "neither a tool call nor text"
        print(f"tools request → tool_calls={len(calls)} text={message.content!r}")
