import { useState } from "preact/hooks";

import { answered, api, type Schemas } from "../api/client";
import { usePages } from "../api/usePages";
import { useTimeZone } from "../api/useTimeZone";
import { moment } from "../dashboard/format";
import {
  CONNECTORS,
  type DeliveryFilter,
  DeliveryFilters,
  OUTCOMES,
} from "../deliveries/DeliveryFilters";
import { Link } from "../layout/Link";
import { PagedList } from "../layout/PagedList";

const PAGE = 20;

// How each outcome looks: accepted is what one hopes for; the others say why nothing showed.
const OUTCOME_BADGE: Record<Schemas["DeliveryOutcome"], string> = {
  accepted: "medium",
  duplicate: "low",
  ignored: "low",
  rejected: "critical",
  failed: "high",
};

function pageOf(filter: DeliveryFilter, cursor: string | undefined) {
  const query = {
    limit: PAGE,
    ...(filter.connector ? { connector: filter.connector } : {}),
    ...(filter.outcome ? { outcome: filter.outcome } : {}),
    ...(cursor ? { cursor } : {}),
  };
  return api.GET("/api/hooks/deliveries", { params: { query } }).then(answered);
}

function DeliveryRow({ item, timeZone }: { item: Schemas["DeliveryItem"]; timeZone: string }) {
  return (
    <li data-provider-id={item.provider_id} data-outcome={item.outcome}>
      <div class="who">
        <strong>{CONNECTORS[item.connector]}</strong>
        <span class={`badge ${OUTCOME_BADGE[item.outcome]}`}>{OUTCOMES[item.outcome]}</span>
        <time dateTime={item.received_at}>{moment(item.received_at, timeZone)}</time>
      </div>
      {item.reason ? <div class="why">{item.reason}</div> : null}
      <div class="when">
        <span class="id">{item.provider_id || "no id given"}</span>
        {item.customer_id ? (
          <>
            {" · "}
            <Link href={`/customers/${item.customer_id}`}>the customer</Link>
          </>
        ) : null}
      </div>
    </li>
  );
}

/** The webhook deliveries log: each item a provider sent, newest first, and what became of it,
 * for "why didn't my message show up". */
export function Deliveries() {
  const [filter, setFilter] = useState<DeliveryFilter>({ connector: "", outcome: "" });
  const timeZone = useTimeZone();
  const [pages, loadMore] = usePages((cursor) => pageOf(filter, cursor), [filter]);

  return (
    <section aria-labelledby="deliveries-title" class="page">
      <h1 id="deliveries-title">Deliveries</h1>
      <p class="help">
        Every message, lead and booking the providers sent, and what it came to: accepted (an
        event was made), or why not.
      </p>
      <DeliveryFilters filter={filter} onFilter={setFilter} />
      <PagedList
        pages={pages}
        onMore={loadMore}
        empty="No delivery matches."
        moreLabel="Show more deliveries"
      >
        {(items) => (
          <ul class="rows" id="deliveries">
            {items.map((item, index) => (
              // Items have no id of their own; the same provider id may come more than once.
              <DeliveryRow key={`${item.provider_id}-${index}`} item={item} timeZone={timeZone} />
            ))}
          </ul>
        )}
      </PagedList>
    </section>
  );
}
