import jsonschema
import pytest

from fama_dspy.tool_schemas import MAX_ARRAY_ITEMS, MAX_STRING_CHARS, engine_schema

PYDANTIC_STYLE = {
    "title": "book",
    "type": "object",
    "$defs": {
        "Passenger": {
            "title": "Passenger",
            "type": "object",
            "properties": {"name": {"title": "Name", "type": "string"}},
            "required": ["name"],
        }
    },
    "properties": {
        "passengers": {
            "title": "Passengers",
            "type": "array",
            "items": {
                "anyOf": [{"$ref": "#/$defs/Passenger"}, {"type": "object", "additionalProperties": True}]
            },
        },
        "cabin": {"title": "Cabin", "type": "string", "enum": ["economy", "business"], "default": "economy"},
    },
    "required": ["passengers", "ghost"],
}


def test_pydantic_dialect_becomes_plain_closed_bounded_json_schema():
    out = engine_schema(PYDANTIC_STYLE)
    assert "$defs" not in str(out) and "title" not in out and "default" not in str(out)
    assert out["required"] == ["passengers"]  # a required key without a property is dropped
    assert out["additionalProperties"] is False
    passengers = out["properties"]["passengers"]
    assert passengers["maxItems"] == MAX_ARRAY_ITEMS
    # The open "any object" alternative is gone: decoding writes the structured item.
    item = passengers["items"]
    assert item["properties"]["name"] == {"type": "string", "maxLength": MAX_STRING_CHARS}
    assert item["additionalProperties"] is False
    assert "maxLength" not in out["properties"]["cabin"]  # enums are bounded already


def test_type_aliases_of_other_benchmarks_are_mapped():
    out = engine_schema(
        {
            "type": "dict",
            "properties": {
                "n": {"type": "float"},
                "k": {"type": "int"},
                "ok": {"type": "bool"},
                "xs": {"type": "list"},
            },
        }
    )
    assert out["type"] == "object"
    assert [out["properties"][k]["type"] for k in ("n", "k", "ok", "xs")] == [
        "number",
        "integer",
        "boolean",
        "array",
    ]


def test_empty_and_unbounded_forms():
    assert engine_schema(None) == {"type": "object", "properties": {}, "additionalProperties": False}
    loose = engine_schema({"type": "object", "properties": {"x": {"type": "string"}}}, bound=False)
    assert "maxLength" not in loose["properties"]["x"]
    explicit_open = engine_schema(
        {"type": "object", "properties": {"x": {"type": "string"}}, "additionalProperties": True}
    )
    assert explicit_open["additionalProperties"] is True


@pytest.mark.parametrize(
    "domain, split, solo",
    [
        ("airline", "train", False),
        ("retail", "train", False),
        ("mock", None, True),
        ("telecom", "train", True),
    ],
)
def test_engine_schemas_of_every_tau2_domain_admit_every_gold_call(domain, split, solo):
    from fama_dspy.benchmarks.tau2.decision_points import iter_decision_points

    points = iter_decision_points(domain, split, solo=solo, num_tasks=12)
    assert points
    for point in points:
        schema = engine_schema(point.state.tool(point.gold.tool_name).parameters)
        jsonschema.Draft202012Validator.check_schema(schema)
        jsonschema.validate(point.gold.arguments, schema)
