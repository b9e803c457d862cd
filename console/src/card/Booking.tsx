import { useState } from "preact/hooks";

import { api, type Schemas } from "../api/client";
import { moment } from "../dashboard/format";
import { type Refusal, refusalFor, tried } from "./problems";
import { hoursFromNow, inputValue, instantOf } from "./time";

type Customer = Schemas["CustomerOut"];

const STATES = ["none", "booked", "held", "no_show", "canceled"] as const;
const SAYS: Record<string, string> = {
  none: "No meeting",
  booked: "Booked",
  held: "Held",
  no_show: "No-show",
  canceled: "Canceled",
};
// The person's scheduling URL (Calendly, Cal.com) is theirs, not the account's: kept in the
// browser, so it is typed once.
const SCHEDULING_URL = "crm.scheduling-url";

interface Props {
  customer: Customer;
  timeZone: string;
  onSaved: (customer: Customer) => void;
}

/** The meeting's state, changed as a booking PUT (which emits the matching event). */
export function Booking({ customer, timeZone, onSaved }: Props) {
  const { booking } = customer;
  const [state, setState] = useState(booking.state);
  const [time, setTime] = useState(
    inputValue(booking.time, timeZone) || hoursFromNow(24, timeZone),
  );
  const [refusal, setRefusal] = useState<Refusal | null>(null);

  async function save(event: Event) {
    event.preventDefault();
    const when = state === "booked" ? instantOf(time, timeZone) : null;
    const body = { booking: { state, time: when } };
    const answer = await tried(
      api.PUT("/api/customers/{customer_id}", {
        params: { path: { customer_id: customer.id } },
        body,
      }),
    );
    if (!answer.ok) return setRefusal(answer.refusal);
    setRefusal(null);
    onSaved(answer.data);
  }

  return (
    <>
      <p id="booking-state" data-state={booking.state}>
        {SAYS[booking.state] ?? booking.state}
        {booking.time ? (
          <>
            {" "}
            for <time dateTime={booking.time}>{moment(booking.time, timeZone)}</time>
          </>
        ) : null}
      </p>
      <form class="booking-form" onSubmit={save}>
        <label for="booking-new-state">Meeting</label>
        <select
          id="booking-new-state"
          value={state}
          onChange={(event) => setState(event.currentTarget.value)}
        >
          {STATES.map((name) => (
            <option key={name} value={name}>
              {SAYS[name]}
            </option>
          ))}
        </select>
        {state === "booked" ? (
          <>
            <label for="booking-new-time">Meeting time ({timeZone})</label>
            <input
              id="booking-new-time"
              type="datetime-local"
              required
              value={time}
              onInput={(event) => setTime(event.currentTarget.value)}
            />
          </>
        ) : null}
        <button type="submit" disabled={state === booking.state && state !== "booked"}>
          Save meeting
        </button>
        <p class="problem" role="alert">
          {refusalFor(refusal, "booking.time")}
        </p>
      </form>
      <BookingLink customerId={customer.id} />
    </>
  );
}

type Copied =
  | { state: "idle" }
  | { state: "copied" | "shown"; url: string }
  | { state: "refused"; why: string };

/** The person's scheduling URL with this customer's reference, copied to the clipboard, so a
 * booking made with it lands on this card whatever email the invitee types. */
function BookingLink({ customerId }: { customerId: string }) {
  const [url, setUrl] = useState(localStorage.getItem(SCHEDULING_URL) ?? "");
  const [copied, setCopied] = useState<Copied>({ state: "idle" });

  async function copy(event: Event) {
    event.preventDefault();
    localStorage.setItem(SCHEDULING_URL, url.trim());
    const answer = await tried(
      api.GET("/api/customers/{customer_id}/booking-link", {
        params: { path: { customer_id: customerId }, query: { url: url.trim() } },
      }),
    );
    if (!answer.ok) return setCopied({ state: "refused", why: refusalFor(answer.refusal, "url") });
    try {
      await navigator.clipboard.writeText(answer.data.url);
      setCopied({ state: "copied", url: answer.data.url });
    } catch {
      // No clipboard here (an insecure origin, a refused permission): shown to copy by hand.
      setCopied({ state: "shown", url: answer.data.url });
    }
  }

  return (
    <form class="booking-link" onSubmit={copy}>
      <label for="scheduling-url">Your scheduling URL</label>
      <input
        id="scheduling-url"
        type="url"
        required
        placeholder="https://calendly.com/you/intro"
        value={url}
        onInput={(event) => setUrl(event.currentTarget.value)}
      />
      <button type="submit">Copy booking link</button>
      <p id="booking-link-copied" role="status">
        {copied.state === "copied" ? "Copied to the clipboard:" : null}
        {copied.state === "shown" ? "Copy this link:" : null}
        {copied.state === "refused" ? copied.why : null}
      </p>
      {copied.state === "copied" || copied.state === "shown" ? (
        <output id="booking-link" for="scheduling-url">
          {copied.url}
        </output>
      ) : null}
    </form>
  );
}
