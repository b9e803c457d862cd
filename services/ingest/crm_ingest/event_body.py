"""The OpenAPI body of `POST /api/events`: the incoming envelope, with each event's properties.

`IncomingEvent` types `properties` as any object, because which model applies depends on
`event_name`. The document says which: one `oneOf` branch per event a client may send, that
event's name as a constant and its properties' model (a booking's `booking_time`, a purchase's
amount, currency and products). Clients read what each event takes; schema-driven tests
generate events that get past validation instead of guessing their properties.
"""

from __future__ import annotations

from typing import Any

from crm_schemas.catalog import CATALOG, EXTERNAL_EVENTS
from crm_schemas.envelope import IncomingEvent
from crm_servicekit.openapi_bodies import COMPONENTS_KEY, REF_TEMPLATE, raw_json_body


def incoming_event_body() -> dict[str, Any]:
    """`openapi_extra` for the single-event route."""
    extra = raw_json_body(IncomingEvent)
    components: dict[str, Any] = extra[COMPONENTS_KEY]
    branches = []
    for name in sorted(EXTERNAL_EVENTS):
        model = CATALOG[name].properties
        schema = model.model_json_schema(ref_template=REF_TEMPLATE)
        components.update(schema.pop("$defs", {}))
        components[model.__name__] = schema
        branches.append(
            {
                "title": name.value,
                "properties": {
                    "event_name": {"const": name.value},
                    "properties": {"$ref": REF_TEMPLATE.format(model=model.__name__)},
                },
                "required": ["event_name"],
            }
        )
    extra["requestBody"]["content"]["application/json"]["schema"]["oneOf"] = branches
    return extra
