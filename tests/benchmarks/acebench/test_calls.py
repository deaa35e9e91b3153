"""ACEBench call strings are parsed as data (ast + literal_eval), never evaluated."""

from __future__ import annotations

import pytest

from fama_dspy.benchmarks.acebench.calls import (
    Call,
    call_key,
    milestone_keys,
    parse_calls,
    process_keys,
    render_call,
)


def test_one_call_with_nested_literals():
    (call,) = parse_calls(
        "[add_food_delivery_order(username='Eve', merchant_name='Heytea', "
        "items=[{'product': 'Milk Tea', 'quantity': 2}])]"
    )
    assert call == Call(
        "add_food_delivery_order",
        {"username": "Eve", "merchant_name": "Heytea", "items": [{"product": "Milk Tea", "quantity": 2}]},
    )


def test_several_calls_and_no_brackets():
    assert [c.name for c in parse_calls("[login_device(), view_messages(sender_name='A')]")] == [
        "login_device",
        "view_messages",
    ]
    assert parse_calls("turn_on_wifi()") == [Call("turn_on_wifi", {})]


def test_unescaped_apostrophes_inside_words_are_recovered():
    (call,) = parse_calls("[add_reminder(title='Today's spending', description='Don't forget')]")
    assert call.arguments == {"title": "Today's spending", "description": "Don't forget"}


@pytest.mark.parametrize(
    "text",
    [
        "[__import__('os').system('echo hacked')]",  # not a plain name
        "[send_message(message=__import__('os').getcwd())]",  # not a literal
        "[send_message('Eve', 'Frank')]",  # positional arguments
        "[send_message(**{'a': 1})]",
        "[1 + 1]",
        "[send_message(message='unterminated)]",
    ],
)
def test_anything_but_calls_of_literals_is_refused(text):
    with pytest.raises(ValueError):
        parse_calls(text)


def test_code_in_a_string_is_just_a_string():
    (call,) = parse_calls("[send_message(message=\"__import__('os').system('echo hacked')\")]")
    assert call.arguments == {"message": "__import__('os').system('echo hacked')"}


def test_render_round_trips_and_keys_ignore_order_and_quotes():
    arguments = {"title": "Don't", "n": 2, "items": [{"a": None, "b": True}]}
    text = render_call("add", arguments)
    assert text == "[add(title=\"Don't\", n=2, items=[{'a': None, 'b': True}])]"
    assert parse_calls(text) == [Call("add", arguments)]
    assert call_key("f", {"a": 1, "b": "x"}) == call_key("f", {"b": "x", "a": 1})
    assert milestone_keys('[f(b="x", a=1)]') == (call_key("f", {"a": 1, "b": "x"}),)
    assert call_key("f", {"a": 1}) != call_key("f", {"a": "1"})


def test_unparseable_milestones_compare_as_text():
    assert milestone_keys("  not a call  ") == ("not a call",)
    assert process_keys(["[f(a=1)]", "[g(), h()]"]) == [call_key("f", {"a": 1}), "g({})", "h({})"]
