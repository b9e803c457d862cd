import { useState } from "preact/hooks";

import { api, type Schemas } from "../api/client";
import { type Refusal, refusalFor, tried } from "./problems";
import { hoursFromNow, instantOf } from "./time";
import { nextNeeds, VOCABULARIES, type VocabularyName } from "./vocabulary";

type Customer = Schemas["CustomerOut"];

interface Props {
  customer: Customer;
  vocabulary: VocabularyName;
  timeZone: string;
  onVocabulary: (vocabulary: VocabularyName) => void;
  onMoved: (customer: Customer) => void;
}

/** Where the customer is, in the vocabulary the person works in, and the move to the next
 * stage: the Why and the booking's time are asked for where the move needs them. */
export function Pipeline({ customer, vocabulary, timeZone, onVocabulary, onMoved }: Props) {
  const needs = nextNeeds(customer, vocabulary);
  const [asking, setAsking] = useState(false);
  const [askWhy, setAskWhy] = useState(false);
  const [askTime, setAskTime] = useState(false);
  const [why, setWhy] = useState("");
  const [bookingTime, setBookingTime] = useState(hoursFromNow(24, timeZone));
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [moving, setMoving] = useState(false);
  const shown = customer.pipeline_status ?? customer.status_label;

  async function move() {
    setMoving(true);
    const body = {
      prospect_why: askWhy ? why.trim() || null : null,
      booking_time: askTime ? instantOf(bookingTime, timeZone) : null,
    };
    const answer = await tried(
      api.POST("/api/customers/{customer_id}/next-stage", {
        params: { path: { customer_id: customer.id }, query: { pipeline: vocabulary } },
        body,
      }),
    );
    setMoving(false);
    if (answer.ok) {
      setAsking(false);
      setRefusal(null);
      setWhy("");
      return onMoved(answer.data);
    }
    // The API names what it still needs: ask for it rather than only saying no.
    if (answer.refusal.missing === "prospect_why") setAskWhy(true);
    if (answer.refusal.missing === "booking_time") setAskTime(true);
    setAsking(true);
    setRefusal(answer.refusal);
  }

  function next() {
    setRefusal(null);
    setAskWhy(needs.why);
    setAskTime(needs.bookingTime);
    if (needs.why || needs.bookingTime) return setAsking(true);
    void move();
  }

  return (
    <>
      <div class="vocabulary">
        <label for="vocabulary">Vocabulary</label>
        <select
          id="vocabulary"
          value={vocabulary}
          onChange={(event) => onVocabulary(event.currentTarget.value as VocabularyName)}
        >
          {Object.keys(VOCABULARIES).map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </div>
      <p class="stage-now">
        Stage: <strong id="stage">{shown}</strong>
      </p>
      <ol class="stages" aria-label={`The ${vocabulary} stages`}>
        {VOCABULARIES[vocabulary].map((term) => (
          <li key={term} aria-current={term === shown ? "step" : undefined}>
            {term}
          </li>
        ))}
      </ol>
      {asking ? (
        <form
          class="next-stage"
          id="next-stage-form"
          onSubmit={(event) => {
            event.preventDefault();
            void move();
          }}
        >
          {askWhy ? (
            <>
              <label for="next-why">Their Why (needed to qualify them)</label>
              <textarea
                id="next-why"
                rows={2}
                required
                autoFocus
                value={why}
                onInput={(event) => setWhy(event.currentTarget.value)}
              />
            </>
          ) : null}
          {askTime ? (
            <>
              <label for="next-booking-time">Meeting time, {timeZone} (needed to book it)</label>
              <input
                id="next-booking-time"
                type="datetime-local"
                required
                autoFocus={!askWhy}
                value={bookingTime}
                onInput={(event) => setBookingTime(event.currentTarget.value)}
              />
            </>
          ) : null}
          <div class="actions">
            <button type="submit" disabled={moving}>
              Move
            </button>
            <button type="button" class="quiet" onClick={() => setAsking(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <button type="button" id="next-stage" disabled={!needs.possible || moving} onClick={next}>
          Next stage
        </button>
      )}
      <p class="problem" role="alert">
        {refusal && !refusal.missing ? refusalFor(refusal, "status") : ""}
      </p>
    </>
  );
}
