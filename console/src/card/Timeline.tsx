import type { Schemas } from "../api/client";
import { moment } from "../dashboard/format";

type Envelope = Schemas["EventPage"]["items"][number];

function words(name: unknown): string {
  const text = String(name ?? "").toLowerCase().replaceAll("_", " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A line of what the event carried that a person reads: a stage move, a message, a Why. */
function detail(event: Envelope): string {
  const properties = (event.properties ?? {}) as Record<string, unknown>;
  if (event.event_name === "STATUS_CHANGED") {
    const from = (properties.from as { status?: string } | undefined)?.status;
    const to = (properties.to as { status?: string } | undefined)?.status;
    return from && to && from !== to ? `${words(from)} → ${words(to)}` : "";
  }
  const said =
    properties.text ?? properties.content ?? properties.prospect_why ?? properties.message;
  return typeof said === "string" ? said : "";
}

interface Props {
  items: readonly Envelope[];
  more: boolean;
  timeZone: string;
  onMore: () => void;
}

/** The customer's events, newest first, as the event log holds them. */
export function Timeline({ items, more, timeZone, onMore }: Props) {
  if (items.length === 0) return <p>No event yet.</p>;
  return (
    <>
      <ol class="timeline" id="timeline">
        {items.map((event) => (
          <li key={String(event.event_id)} data-event={String(event.event_name)}>
            <time dateTime={String(event.timestamp)}>
              {moment(String(event.timestamp), timeZone)}
            </time>{" "}
            <strong>{words(event.event_name)}</strong> <span class="why">{detail(event)}</span>
          </li>
        ))}
      </ol>
      {more ? (
        <button type="button" onClick={onMore}>
          Show earlier events
        </button>
      ) : null}
    </>
  );
}
