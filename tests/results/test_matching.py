from fama_dspy.results.matching import arguments_match, normalize_value, underivable_values

SCHEMA = {
    "type": "object",
    "properties": {
        "user_id": {"type": "string"},
        "count": {"type": "integer"},
        "amount": {"type": "number"},
        "flag": {"type": "boolean", "default": False},
        "cabin": {"type": "string", "enum": ["economy", "business"]},
        "ids": {"type": "array", "items": {"type": "string"}},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
    },
}


def test_normalisation_follows_the_schema_type_only():
    assert normalize_value("1", {"type": "integer"}) == 1
    assert normalize_value(2.0, {"type": "integer"}) == 2
    assert normalize_value(1, {"type": "string"}) == "1"
    assert normalize_value("true", {"type": "boolean"}) is True
    assert normalize_value([1, "2"], {"type": "array", "items": {"type": "string"}}) == ["1", "2"]
    assert normalize_value("abc", {"type": "integer"}) == "abc"  # not coercible: unchanged
    assert normalize_value("Ann", {"type": "string"}) == "Ann"  # strings stay case-sensitive
    assert normalize_value(5, {"anyOf": [{"type": "string"}, {"type": "null"}]}) == "5"


def test_arguments_match():
    gold = {"user_id": "u1", "count": 2, "ids": ["7"]}
    assert arguments_match({"user_id": "u1", "count": "2", "ids": [7]}, gold, SCHEMA) == []
    assert arguments_match({"user_id": "U1", "count": 2, "ids": ["7"]}, gold, SCHEMA) == ["user_id"]
    assert arguments_match({"user_id": "u1", "ids": ["7"]}, gold, SCHEMA) == ["count"]  # missing, no default
    # A key absent on one side equals the schema default.
    assert arguments_match({**gold, "flag": False, "note": None}, gold, SCHEMA) == []
    assert arguments_match({**gold, "flag": True}, gold, SCHEMA) == ["flag"]
    # τ²'s compare_args restrict the comparison ([] = name only).
    assert arguments_match({"user_id": "u1", "count": 9}, gold, SCHEMA, compare_args=["user_id"]) == []
    assert arguments_match({}, gold, SCHEMA, compare_args=[]) == []


def test_derivability():
    text = 'user: my id is U1\ntool: {"orders": ["#W7", "#W8"], "price": 54.0, "qty": 3}'
    assert underivable_values({"user_id": "u1", "ids": ["#W7", "#W8"]}, SCHEMA, text) == []
    assert underivable_values({"amount": 54, "count": 3}, SCHEMA, text) == []
    assert underivable_values({"user_id": "u2", "cabin": "business", "flag": True}, SCHEMA, text) == [
        "user_id=u2"
    ]
    assert underivable_values({"user_id": "u2"}, SCHEMA, text, compare_args=[]) == []
