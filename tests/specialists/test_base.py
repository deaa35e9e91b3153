from fama_dspy.specialists.base import MAX_ITEM_CHARS, clean_items, transcript


def test_clean_items_strips_dedupes_clips_and_limits():
    items = ["  a  b ", "a b", "", "x" * (MAX_ITEM_CHARS + 50), 7, "c"]
    out = clean_items(items, 3)
    assert out[:2] == ["a b", "x" * (MAX_ITEM_CHARS - 1) + "…"] and out[2] == "7"
    assert clean_items(None, 5) == []


def test_transcript_leads_with_the_ticket_in_solo_mode(state):
    assert transcript(state).startswith("[0] assistant: Hi!")
    solo = transcript(state.model_copy(update={"ticket": "Cancel #W1."}), max_tool_chars=20)
    assert solo.startswith("[ticket] Cancel #W1.\n[0] assistant")
    assert solo.endswith("…(cut)")
