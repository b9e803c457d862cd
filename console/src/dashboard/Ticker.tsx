import type { Schemas } from "../api/client";
import { Link } from "../layout/Link";
import { customerPath } from "../layout/route";
import type { Connection } from "./liveTicker";
import { moment } from "./format";

interface Props {
  items: readonly Schemas["TickerItem"][];
  connection: Connection;
  timeZone: string;
}

const SAYS: Record<Connection, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
};

/** What just happened in the account, newest first, as it happens. */
export function Ticker({ items, connection, timeZone }: Props) {
  return (
    <>
      <p class={`connection ${connection}`} id="ticker-connection" role="status">
        {SAYS[connection]}
      </p>
      {items.length === 0 ? (
        <p>Nothing has happened yet.</p>
      ) : (
        <ol class="ticker" id="ticker" aria-live="polite" aria-relevant="additions">
          {items.map((item) => (
            <li key={item.id} data-customer-id={item.customer_id ?? undefined} data-kind={item.kind}>
              <time dateTime={item.at}>{moment(item.at, timeZone)}</time>{" "}
              {item.customer_id ? (
                <Link href={customerPath(item.customer_id)}>{item.text}</Link>
              ) : (
                item.text
              )}
            </li>
          ))}
        </ol>
      )}
    </>
  );
}
