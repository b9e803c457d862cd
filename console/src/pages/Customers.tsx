import { useState } from "preact/hooks";

import { answered, api, type Schemas } from "../api/client";
import { usePages } from "../api/usePages";
import { useTimeZone } from "../api/useTimeZone";
import { CustomerFilters, NO_SEARCH, type Search } from "../customers/CustomerFilters";
import { moment } from "../dashboard/format";
import { Link } from "../layout/Link";
import { PagedList } from "../layout/PagedList";

const PAGE = 20;

function pageOf(search: Search, cursor: string | undefined) {
  const query = {
    limit: PAGE,
    sort: search.sort,
    ...(search.q ? { q: search.q } : {}),
    ...(search.vocabulary ? { pipeline: search.vocabulary } : {}),
    ...(search.status ? { status: search.status } : {}),
    ...(cursor ? { cursor } : {}),
  };
  return api.GET("/api/customers", { params: { query } }).then(answered);
}

function nameOf(customer: Schemas["CustomerOut"]): string {
  const handle = Object.values(customer.handles)[0];
  return customer.name ?? customer.email ?? customer.phone ?? handle ?? "No name";
}

interface RowProps {
  customer: Schemas["CustomerOut"];
  timeZone: string;
}

function CustomerRow({ customer, timeZone }: RowProps) {
  const handles = Object.values(customer.handles);
  const contact = [customer.email, customer.phone, ...handles].filter(Boolean);
  return (
    <li data-customer-id={customer.id}>
      <div class="who">
        <Link href={`/customers/${customer.id}`}>{nameOf(customer)}</Link>
        <span class="badge medium">{customer.pipeline_status ?? customer.status_label}</span>
        {customer.opted_out ? <span class="badge critical">opted out</span> : null}
      </div>
      {contact.length > 0 ? <div class="why">{contact.join(" · ")}</div> : null}
      <div class="when">
        {customer.source ? `From ${customer.source} · ` : ""}
        {customer.last_activity_at ? (
          <>
            Last activity{" "}
            <time dateTime={customer.last_activity_at}>
              {moment(customer.last_activity_at, timeZone)}
            </time>
          </>
        ) : (
          "No activity yet"
        )}
      </div>
    </li>
  );
}

/** Everyone in the account: searched and filtered as the API allows, a page at a time. */
export function Customers() {
  const [search, setSearch] = useState<Search>(NO_SEARCH);
  const timeZone = useTimeZone();
  const [pages, loadMore] = usePages((cursor) => pageOf(search, cursor), [search]);

  return (
    <section aria-labelledby="customers-title" class="page">
      <h1 id="customers-title">Customers</h1>
      <CustomerFilters search={search} onSearch={setSearch} />
      <PagedList
        pages={pages}
        onMore={loadMore}
        empty="No customer matches."
        moreLabel="Show more customers"
      >
        {(customers) => (
          <ul class="rows" id="customers">
            {customers.map((customer) => (
              <CustomerRow key={customer.id} customer={customer} timeZone={timeZone} />
            ))}
          </ul>
        )}
      </PagedList>
    </section>
  );
}
