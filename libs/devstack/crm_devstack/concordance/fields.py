"""The JSON types of a pydantic model's fields, read off its JSON Schema, in a compact form."""

from __future__ import annotations

from pydantic import BaseModel

from crm_devstack.concordance.sources import Json

# JSON Schema keywords worth showing beside a property's type.
_KEPT_KEYWORDS = ("format", "enum", "pattern", "minimum", "maximum", "minLength", "maxLength")


def _describe(schema: Json, defs: Json) -> Json:
    """A property's JSON type in a line: type, nullability, enum and constraints."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        target = defs[name]
        if "enum" in target:
            return _describe(target, defs)
        return {"type": "object", "model": name}
    if "anyOf" in schema:
        options = [option for option in schema["anyOf"] if option.get("type") != "null"]
        described = [_describe(option, defs) for option in options]
        merged: Json = {}
        for part in described:
            merged.update({key: value for key, value in part.items() if key != "type"})
        merged["type"] = "|".join(part["type"] for part in described)
        if len(options) < len(schema["anyOf"]):
            merged["nullable"] = True
        return merged
    plain: Json = {"type": schema.get("type", "any")}
    plain.update({key: schema[key] for key in _KEPT_KEYWORDS if key in schema})
    if schema.get("type") == "array" and "items" in schema:
        plain["items"] = _describe(schema["items"], defs)["type"]
    return plain


def describe_fields(model: type[BaseModel]) -> tuple[Json, Json]:
    """(required, optional) fields of a model by their JSON names, each with its JSON type."""
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    required = set(schema.get("required", ()))
    fields = {name: _describe(sub, defs) for name, sub in schema["properties"].items()}
    return (
        {name: info for name, info in fields.items() if name in required},
        {name: info for name, info in fields.items() if name not in required},
    )
