from scripted_lm import json_reply

from fama_dspy.specialists import DomainConstraintExtractor


def test_rules_become_a_checklist(scripted, state):
    rules = ["Authenticate first", "authenticate   first", "Only pending orders", "c", "d", "e", "f"]
    engine = scripted({"dce": [json_reply(rules=rules)]})
    pred = DomainConstraintExtractor()(state=state)
    assert pred.rules == ["Authenticate first", "authenticate first", "Only pending orders", "c", "d"]
    assert pred.section.splitlines() == [
        "## Policy checklist (DCE)",
        "- [ ] Authenticate first",
        "- [ ] authenticate first",
        "- [ ] Only pending orders",
        "- [ ] c",
        "- [ ] d",
    ]
    prompt = engine.calls[0].prompt  # the policy opens the system message (shared domain block)
    assert state.policy in prompt and "Please cancel order #W1" in prompt


def test_rule_count_is_configurable(scripted, state):
    scripted({"dce": [json_reply(rules=["a", "b", "c"])]})
    assert DomainConstraintExtractor(max_rules=1)(state=state).rules == ["a"]


def test_unreadable_output_drops_the_section(scripted, state):
    scripted({"dce": ["rules: be nice"]})
    pred = DomainConstraintExtractor()(state=state)
    assert pred.section == "" and pred.parse_failures == 1 and "AdapterParseError" in pred.error


def test_solo_ticket_is_part_of_the_transcript(scripted, state):
    engine = scripted({"dce": [json_reply(rules=[])]})
    pred = DomainConstraintExtractor()(state=state.model_copy(update={"ticket": "Cancel order #W1."}))
    assert pred.section == ""
    assert "[ticket] Cancel order #W1." in engine.calls[0].messages[-1]["content"]
