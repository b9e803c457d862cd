"""The AsyncAPI 3.0.0 document of the topic, from crm_schemas: every event of the catalog as
one message of `crm.events.v1` (the topic envelope with that event's properties), the headers
and key every message carries, and the dead-letter topic with the headers it adds.

Payload schemas are pydantic's JSON Schemas (draft 2020-12, the dialect of OpenAPI 3.1), each
model once under `components/schemas`, in serialization mode: a message is what its producer
wrote (quiet hours as their "HH:MM" pair, say), not every form a model would accept.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from crm_schemas import topics
from crm_schemas.catalog import CATALOG, EventSpec
from crm_schemas.envelope import SCHEMA_VERSION, EventEnvelope
from crm_schemas.normal_form import MARK_KEY

ASYNCAPI_VERSION: Final = "3.0.0"
KAFKA_BINDING_VERSION: Final = "0.5.0"
REF_TEMPLATE: Final = "#/components/schemas/{model}"
EVENTS_CHANNEL: Final = "events"
DLQ_CHANNEL: Final = "deadLetters"
DEAD_LETTER: Final = "DeadLetter"

_TEXT: Final = {"type": "string"}


def asyncapi_document() -> dict[str, Any]:
    models: list[type[BaseModel]] = [EventEnvelope]
    for spec in CATALOG.values():
        if spec.properties not in models:
            models.append(spec.properties)
    names, definitions = models_json_schema(
        [(model, "serialization") for model in models], ref_template=REF_TEMPLATE
    )
    schemas: dict[str, Any] = definitions.get("$defs", {})
    schema_name = {model: names[(model, "serialization")]["$ref"] for model in models}
    _document_the_mark(schemas[schema_name[EventEnvelope].rsplit("/", 1)[-1]])
    messages = {spec.name.value: _message(spec, schema_name) for spec in CATALOG.values()}
    messages[DEAD_LETTER] = _dead_letter()
    event_refs = {name: {"$ref": f"#/components/messages/{name}"} for name in CATALOG}
    channel_messages = [
        {"$ref": f"#/channels/{EVENTS_CHANNEL}/messages/{name}"} for name in event_refs
    ]
    dead_letter_ref = [{"$ref": f"#/channels/{DLQ_CHANNEL}/messages/{DEAD_LETTER}"}]
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Frazer CRM events",
            "version": f"{SCHEMA_VERSION}.0.0",
            "description": "The one topic every event travels on, keyed by customer (by"
            " account for account-level events) so that a customer's events keep their order,"
            " and its dead-letter topic. Consumers ignore envelope fields they do not know.",
        },
        "defaultContentType": "application/json",
        "channels": {
            EVENTS_CHANNEL: {
                "address": topics.EVENTS_TOPIC,
                "title": "Events",
                "description": "Every event, from outside (through ingest) and from the"
                " services, kept forever: rebuilds replay it.",
                "messages": {name.value: ref for name, ref in event_refs.items()},
                "bindings": {
                    "kafka": {
                        "topic": topics.EVENTS_TOPIC,
                        "partitions": topics.PARTITIONS,
                        "topicConfiguration": {
                            "cleanup.policy": [topics.TOPIC_CONFIG["cleanup.policy"]],
                            "retention.ms": int(topics.TOPIC_CONFIG["retention.ms"]),
                        },
                        "bindingVersion": KAFKA_BINDING_VERSION,
                    }
                },
            },
            DLQ_CHANNEL: {
                "address": topics.DLQ_TOPIC,
                "title": "Dead letters",
                "description": "Messages a consumer could not apply, as they were read, with"
                " headers saying why and where from (`crm dlq` lists and replays them).",
                "messages": {DEAD_LETTER: {"$ref": f"#/components/messages/{DEAD_LETTER}"}},
            },
        },
        "operations": {
            "publishEvent": {
                "action": "send",
                "title": "Publish an event",
                "summary": "Ingest publishes what it accepted; customers, rules and nba"
                " publish their own events through their outboxes.",
                "channel": {"$ref": f"#/channels/{EVENTS_CHANNEL}"},
                "messages": channel_messages,
            },
            "consumeEvents": {
                "action": "receive",
                "title": "Consume the events",
                "summary": "Each service reads the topic in its own consumer group, applying"
                " each event once by (account_id, event_id).",
                "channel": {"$ref": f"#/channels/{EVENTS_CHANNEL}"},
                "messages": channel_messages,
            },
            "deadLetter": {
                "action": "send",
                "title": "Dead-letter a message",
                "channel": {"$ref": f"#/channels/{DLQ_CHANNEL}"},
                "messages": dead_letter_ref,
            },
            "readDeadLetters": {
                "action": "receive",
                "title": "Read the dead letters",
                "channel": {"$ref": f"#/channels/{DLQ_CHANNEL}"},
                "messages": dead_letter_ref,
            },
        },
        "components": {
            "schemas": {name: schemas[name] for name in sorted(schemas)},
            "messages": messages,
        },
    }


def _document_the_mark(envelope: dict[str, Any]) -> None:
    """The member producers put first in a message's body (crm_schemas.normal_form), which
    is no field of the envelope model."""
    envelope["properties"] = {
        MARK_KEY: {
            **_TEXT,
            "description": "the producer's mark that `properties` are in its models' normal"
            " form (a digest of the schema code): a consumer running the same code validates"
            " them without normalizing them again. Optional; consumers that do not know it"
            " ignore it.",
        },
        **envelope["properties"],
    }


def _message(spec: EventSpec, schema_name: dict[type[BaseModel], str]) -> dict[str, Any]:
    name = spec.name.value
    key = (
        {**_TEXT, "description": "the account id: an account-level event"}
        if spec.account_level
        else {"type": "string", "format": "uuid", "description": "the customer id"}
    )
    return {
        "name": name,
        "title": name,
        "summary": f"{spec.meaning} (emitted by {spec.emitted_by.value})",
        "contentType": "application/json",
        "headers": {
            "type": "object",
            "required": list(topics.REQUIRED_HEADERS),
            "properties": {
                topics.HEADER_EVENT_NAME: {"const": name},
                topics.HEADER_ACCOUNT_ID: {**_TEXT, "description": "as in the envelope"},
                topics.HEADER_EVENT_ID: {**_TEXT, "description": "as in the envelope"},
                topics.HEADER_TRACEPARENT: {
                    **_TEXT,
                    "description": "W3C Trace Context of the span that published the message;"
                    " present only when the publisher traces (OTEL_* settings)",
                },
                topics.HEADER_TRACESTATE: {
                    **_TEXT,
                    "description": "W3C Trace Context vendor state, beside traceparent",
                },
            },
        },
        "payload": {
            "allOf": [
                {"$ref": schema_name[EventEnvelope]},
                {
                    "type": "object",
                    "required": ["event_name"],
                    "properties": {
                        "event_name": {"const": name},
                        "properties": {"$ref": schema_name[spec.properties]},
                    },
                },
            ]
        },
        "bindings": {"kafka": {"key": key, "bindingVersion": KAFKA_BINDING_VERSION}},
    }


def _dead_letter() -> dict[str, Any]:
    headers: dict[str, Any] = {
        name: {**_TEXT, "description": f"the original's: {name}"}
        for name in topics.REQUIRED_HEADERS
    }
    headers.update(
        {name: {**_TEXT, "description": meaning} for name, meaning in topics.DLQ_HEADERS.items()}
    )
    return {
        "name": DEAD_LETTER,
        "title": "Dead letter",
        "summary": "A message a consumer gave up on: the original key, value and headers, and"
        " the dlq_ headers.",
        "headers": {
            "type": "object",
            "required": list(topics.DLQ_HEADERS),
            "properties": headers,
        },
        "payload": {
            "description": "The original message's value, byte for byte: an event envelope"
            " when it decoded, anything otherwise (dlq_error_kind says which)."
        },
        "bindings": {
            "kafka": {
                "key": {**_TEXT, "description": "the original message's key"},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }
