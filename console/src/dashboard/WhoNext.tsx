import type { Schemas } from "../api/client";
import { CustomerLink } from "./CustomerLink";
import { useCustomerNames } from "./customerNames";
import { moment } from "./format";

interface Props {
  items: readonly Schemas["Recommendation"][];
  more: boolean;
  timeZone: string;
  onMore: () => void;
}

/** The account's next best actions, most urgent first: whom, what, why and by when. */
export function WhoNext({ items, more, timeZone, onMore }: Props) {
  const names = useCustomerNames(items.map((item) => item.customer_id));
  if (items.length === 0) return <p>Nobody is waiting for an action.</p>;
  return (
    <>
      <ol class="who-next" id="who-next">
        {items.map((item) => (
          <li key={item.customer_id} data-customer-id={item.customer_id} class={item.urgency}>
            <div class="who">
              <CustomerLink customerId={item.customer_id} names={names} />
              <span class={`badge ${item.urgency}`}>{item.urgency}</span>
            </div>
            <div class="what">{item.title}</div>
            <div class="why">{item.reason}</div>
            {item.due_at ? (
              <div class="when">
                Due <time dateTime={item.due_at}>{moment(item.due_at, timeZone)}</time>
              </div>
            ) : null}
          </li>
        ))}
      </ol>
      {more ? (
        <button type="button" onClick={onMore}>
          Show more
        </button>
      ) : null}
    </>
  );
}
