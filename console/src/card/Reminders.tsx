import { useState } from "preact/hooks";

import { api, type Schemas } from "../api/client";
import { REMINDER_TYPES } from "../dashboard/Reminders";
import { moment } from "../dashboard/format";
import { type Refusal, refusalFor, tried } from "./problems";
import { hoursFromNow, instantOf } from "./time";

type Reminder = Schemas["ReminderOut"];

interface RowProps {
  item: Reminder;
  timeZone: string;
  onChanged: (refusal: Refusal | null) => void;
}

/** One open reminder: completed, or snoozed until a time the person picks. */
function ReminderRow({ item, timeZone, onChanged }: RowProps) {
  const [until, setUntil] = useState(hoursFromNow(24, timeZone));
  const path = { params: { path: { reminder_id: item.id } } };
  const id = `snooze-${item.id}`;
  const kind = REMINDER_TYPES[item.type];

  const complete = async () => {
    const answer = await tried(api.POST("/api/reminders/{reminder_id}/complete", path));
    onChanged(answer.ok ? null : answer.refusal);
  };
  const snooze = async (event: Event) => {
    event.preventDefault();
    const body = { until: instantOf(until, timeZone) ?? "" };
    const answer = await tried(api.POST("/api/reminders/{reminder_id}/snooze", { ...path, body }));
    onChanged(answer.ok ? null : answer.refusal);
  };

  return (
    <li data-reminder-id={item.id}>
      <div class="what">{kind}</div>
      {item.message ? <div class="why">{item.message}</div> : null}
      <div class="when">
        Due <time dateTime={item.scheduled_for}>{moment(item.scheduled_for, timeZone)}</time>
      </div>
      <form class="snooze" onSubmit={snooze}>
        <button type="button" aria-label={`Complete: ${kind}`} onClick={() => void complete()}>
          Complete
        </button>
        <label for={id}>Snooze until ({timeZone})</label>
        <input
          id={id}
          type="datetime-local"
          required
          value={until}
          onInput={(event) => setUntil(event.currentTarget.value)}
        />
        <button type="submit" class="quiet" aria-label={`Snooze: ${kind}`}>
          Snooze
        </button>
      </form>
    </li>
  );
}

interface Props {
  customerId: string;
  items: readonly Reminder[];
  timeZone: string;
  onChanged: () => void;
}

/** The customer's open reminders, soonest first, and a reminder of the person's own. */
export function Reminders({ customerId, items, timeZone, onChanged }: Props) {
  const [when, setWhen] = useState(hoursFromNow(24, timeZone));
  const [message, setMessage] = useState("");
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const changed = (refused: Refusal | null) => {
    setRefusal(refused);
    if (!refused) onChanged();
  };

  async function add(event: Event) {
    event.preventDefault();
    const body = {
      customer_id: customerId,
      type: "custom" as const,
      scheduled_for: instantOf(when, timeZone) ?? "",
      message: message.trim() || null,
    };
    const answer = await tried(api.POST("/api/reminders", { body }));
    if (answer.ok) setMessage("");
    changed(answer.ok ? null : answer.refusal);
  }

  const open = [...items].sort((a, b) => a.scheduled_for.localeCompare(b.scheduled_for));
  return (
    <>
      {open.length === 0 ? <p>No open reminder.</p> : null}
      <ul class="reminders" id="card-reminders">
        {open.map((item) => (
          <ReminderRow key={item.id} item={item} timeZone={timeZone} onChanged={changed} />
        ))}
      </ul>
      <form class="new-reminder" onSubmit={add}>
        <label for="new-reminder-when">Remind me at ({timeZone})</label>
        <input
          id="new-reminder-when"
          type="datetime-local"
          required
          value={when}
          onInput={(event) => setWhen(event.currentTarget.value)}
        />
        <label for="new-reminder-message">About</label>
        <input
          id="new-reminder-message"
          type="text"
          value={message}
          onInput={(event) => setMessage(event.currentTarget.value)}
        />
        <button type="submit">Add reminder</button>
      </form>
      <p class="problem" role="alert">
        {refusalFor(refusal, "scheduled_for")}
      </p>
    </>
  );
}
