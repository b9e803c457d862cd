import type { Schemas } from "../api/client";
import { CustomerLink } from "./CustomerLink";
import { useCustomerNames } from "./customerNames";
import { moment } from "./format";

// The reminder types as a person says them; `custom` is one the person made by hand.
export const REMINDER_TYPES: Record<Schemas["ReminderType"], string> = {
  follow_up_2h: "Follow up (2 hours)",
  follow_up_1d: "Follow up (1 day)",
  follow_up_24h: "Follow up (24 hours)",
  follow_up_48h: "Follow up (48 hours)",
  follow_up_7d: "Follow up (7 days)",
  custom: "Reminder",
};

interface Props {
  items: readonly Schemas["DueReminderOut"][];
  more: boolean;
  timeZone: string;
  onMore: () => void;
}

/** The reminders due now, overdue ones marked: for whom, what kind and since when. */
export function Reminders({ items, more, timeZone, onMore }: Props) {
  const names = useCustomerNames(items.map((item) => item.customer_id));
  if (items.length === 0) return <p>No reminder is due.</p>;
  return (
    <>
      <ul class="reminders" id="reminders">
        {items.map((item) => (
          <li key={item.id} data-reminder-id={item.id} data-customer-id={item.customer_id}>
            <div class="who">
              <CustomerLink customerId={item.customer_id} names={names} />
              {item.overdue ? (
                <span class="badge critical">overdue</span>
              ) : (
                <span class="badge medium">due</span>
              )}
            </div>
            <div class="what">{REMINDER_TYPES[item.type]}</div>
            {item.message ? <div class="why">{item.message}</div> : null}
            <div class="when">
              Due <time dateTime={item.scheduled_for}>{moment(item.scheduled_for, timeZone)}</time>
            </div>
          </li>
        ))}
      </ul>
      {more ? (
        <button type="button" onClick={onMore}>
          Show more reminders
        </button>
      ) : null}
    </>
  );
}
