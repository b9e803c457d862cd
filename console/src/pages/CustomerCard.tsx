import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";

import { answered, api, type Schemas } from "../api/client";
import { useAnswer } from "../api/useAnswer";
import { usePageSize } from "../api/usePageSize";
import { Booking } from "../card/Booking";
import { Fields } from "../card/Fields";
import { Interactions } from "../card/Interactions";
import { Nba } from "../card/Nba";
import { Pipeline } from "../card/Pipeline";
import { Reminders } from "../card/Reminders";
import { Timeline } from "../card/Timeline";
import { isVocabulary, type VocabularyName } from "../card/vocabulary";
import { Waiting } from "../dashboard/Waiting";
import type { PageProps } from "../layout/linkedPages";

type Customer = Schemas["CustomerOut"];

// The vocabulary a person works in is theirs: kept in the browser across cards.
const VOCABULARY = "crm.vocabulary";

function storedVocabulary(): VocabularyName {
  const stored = localStorage.getItem(VOCABULARY);
  return isVocabulary(stored) ? stored : "frazer";
}

/** The nba service learns of a customer from the topic: until then it has none (404). */
async function recommendationOf(customerId: string): Promise<Schemas["Recommendation"] | null> {
  const result = await api.GET("/api/nba/customer/{customer_id}", {
    params: { path: { customer_id: customerId } },
  });
  return result.response.status === 404 ? null : answered(result);
}

/** What the card shows beside the customer, read again after every change made on it. */
function useAround(customerId: string, round: number, eventsShown: number) {
  const path = { customer_id: customerId };
  return {
    nba: useAnswer(() => recommendationOf(customerId), [customerId, round]),
    reminders: useAnswer(() => {
      const query = { customer_id: customerId, status: "open" as const, limit: 100 };
      return api.GET("/api/reminders", { params: { query } }).then(answered);
    }, [customerId, round]),
    interactions: useAnswer(() => {
      const params = { path, query: { limit: 100 } };
      return api.GET("/api/interactions/customer/{customer_id}", { params }).then(answered);
    }, [customerId, round]),
    events: useAnswer(() => {
      const params = { path, query: { limit: eventsShown } };
      return api.GET("/api/events/customer/{customer_id}", { params }).then(answered);
    }, [customerId, round, eventsShown]),
  };
}

interface PanelProps {
  name: string;
  title: string;
  wide?: boolean;
  children: ComponentChildren;
}

function Panel({ name, title, wide, children }: PanelProps) {
  return (
    <section aria-labelledby={`${name}-title`} class={wide ? "panel wide" : "panel"}>
      <h2 id={`${name}-title`}>{title}</h2>
      {children}
    </section>
  );
}

/** The Kundekort: the customer with everything about them, and what to do with them. */
export function CustomerCard({ params }: PageProps) {
  const customerId = params.id ?? "";
  const [vocabulary, setVocabulary] = useState(storedVocabulary);
  // Every change made here counts up, and what it changes elsewhere is read again.
  const [round, setRound] = useState(0);
  const changed = () => setRound((n) => n + 1);
  const [saved, setSaved] = useState<Customer | null>(null);
  const events = usePageSize();

  const settings = useAnswer(() => api.GET("/api/settings").then(answered), []);
  const read = useAnswer(async () => {
    const params = { path: { customer_id: customerId }, query: { pipeline: vocabulary } };
    return answered(await api.GET("/api/customers/{customer_id}", { params }));
  }, [customerId, vocabulary, round]);
  const around = useAround(customerId, round, events.limit);
  // The card a change answered is shown at once, until the read after it catches up.
  const newer = read.state === "ready" && saved && saved.updated_at > read.data.updated_at;
  const customer = newer ? { state: "ready" as const, data: saved } : read;
  const onSaved = (card: Customer) => {
    // Only an answer in the vocabulary shown (a move's) stands in for the card; a field's
    // PUT is answered in canonical terms, and the read after it follows at once.
    if (card.pipeline_status != null) setSaved(card);
    changed();
  };
  const onVocabulary = (name: VocabularyName) => {
    localStorage.setItem(VOCABULARY, name);
    setVocabulary(name);
  };

  // Times are read and written in the account's time zone: the card waits for it.
  return (
    <div class="card">
      <Waiting answer={settings}>
        {({ time_zone: timeZone }) => (
          <Waiting answer={customer}>
            {(card) => (
              <>
                <h1 id="card-title">
                  {card.name ?? Object.values(card.handles)[0] ?? "A customer"}
                </h1>
                <Panel name="pipeline" title="Pipeline">
                  <Pipeline
                    customer={card}
                    vocabulary={vocabulary}
                    timeZone={timeZone}
                    onVocabulary={onVocabulary}
                    onMoved={onSaved}
                  />
                </Panel>
                <Panel name="nba" title="Next best action">
                  <Waiting answer={around.nba}>
                    {(found) => <Nba recommendation={found} timeZone={timeZone} />}
                  </Waiting>
                </Panel>
                <Panel name="booking" title="Meeting">
                  <Booking customer={card} timeZone={timeZone} onSaved={onSaved} />
                </Panel>
                <Panel name="reminders" title="Reminders">
                  <Waiting answer={around.reminders}>
                    {({ items }) => (
                      <Reminders {...{ customerId, items, timeZone }} onChanged={changed} />
                    )}
                  </Waiting>
                </Panel>
                <Panel name="interactions" title="Interactions">
                  <Waiting answer={around.interactions}>
                    {({ items }) => (
                      <Interactions {...{ customerId, items, timeZone }} onChanged={changed} />
                    )}
                  </Waiting>
                </Panel>
                <Panel name="fields" title="Details" wide>
                  <Fields customer={card} timeZone={timeZone} onSaved={onSaved} />
                </Panel>
                <Panel name="timeline" title="Timeline" wide>
                  <Waiting answer={around.events}>
                    {(page) => (
                      <Timeline
                        items={page.items}
                        more={events.more(page)}
                        timeZone={timeZone}
                        onMore={events.showMore}
                      />
                    )}
                  </Waiting>
                </Panel>
              </>
            )}
          </Waiting>
        )}
      </Waiting>
    </div>
  );
}
