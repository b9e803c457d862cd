import type { Schemas } from "../api/client";

type Counts = Schemas["Counts"];

// The figures of the day and the week, in the order of the method: Talk, Invite, Show, Keep
// Talking, then what is waiting.
const FIGURES: readonly (readonly [keyof Counts, string])[] = [
  ["new_leads", "New leads"],
  ["dms_started", "DMs started"],
  ["invites_sent", "Invites sent"],
  ["videos_sent", "Videos sent"],
  ["meetings_booked", "Meetings booked"],
  ["meetings_held", "Meetings held"],
  ["no_shows", "No-shows"],
  ["signed_up", "Signed up"],
  ["follow_ups_done", "Follow-ups done"],
  ["reminders_due", "Reminders due"],
  ["reminders_overdue", "Reminders overdue"],
];

interface Props {
  today: Counts;
  week: Counts;
}

export function Figures({ today, week }: Props) {
  return (
    <table class="figures" id="figures">
      <caption>Today and this week</caption>
      <thead>
        <tr>
          <th scope="col">Figure</th>
          <th scope="col">Today</th>
          <th scope="col">Week</th>
        </tr>
      </thead>
      <tbody>
        {FIGURES.map(([key, label]) => (
          <tr key={key} data-figure={key}>
            <th scope="row">{label}</th>
            <td>{today[key]}</td>
            <td>{week[key]}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
