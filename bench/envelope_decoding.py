"""What a consumer spends decoding one message (`EventEnvelope.from_json`), on the mix of
messages a NO_SHOW webhook makes (the fact, STATUS_CHANGED, REMINDER_CREATED and _CANCELED,
NBA_CHANGED, CUSTOMER_UPDATED), as their producers publish them and, for comparison, as bare
JSON (an unmarked body: another version's producer, or a hand-made message).

Not a test: it prints microseconds per message, the best of several rounds (other work on the
machine only ever adds time). `uv run python -m bench.envelope_decoding --rounds 300`.
"""

from __future__ import annotations

import argparse
import json
import timeit
import uuid
from pathlib import Path

from crm_schemas.envelope import EventEnvelope

GOLDEN = Path(__file__).parents[1] / "tests" / "schemas" / "golden" / "v1"
WEBHOOK_MIX = (
    "NO_SHOW",
    "STATUS_CHANGED",
    "REMINDER_CREATED",
    "REMINDER_CANCELED",
    "NBA_CHANGED",
    "CUSTOMER_UPDATED",
)


def mix(customers: int) -> list[EventEnvelope]:
    events = []
    for n in range(customers):
        customer = str(uuid.uuid4())
        for name in WEBHOOK_MIX:
            data = json.loads((GOLDEN / f"{name}.json").read_text())
            data |= {"customer_id": customer, "event_id": f"{name}-{n}"}
            events.append(EventEnvelope.model_validate(data))
    return events


def microseconds_per_message(bodies: list[bytes], rounds: int) -> float:
    def decode_all() -> None:
        for body in bodies:
            EventEnvelope.from_json(body)

    best = min(timeit.repeat(decode_all, number=1, repeat=rounds))
    return best / len(bodies) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    events = mix(args.customers)
    published = [event.to_message() for event in events]
    bare = [event.to_json() for event in events]
    print(f"as published: {microseconds_per_message(published, args.rounds):.2f} us/message")
    print(f"bare JSON:    {microseconds_per_message(bare, args.rounds):.2f} us/message")


if __name__ == "__main__":
    main()
