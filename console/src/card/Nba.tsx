import type { Schemas } from "../api/client";
import { moment } from "../dashboard/format";

interface Props {
  recommendation: Schemas["Recommendation"] | null;
  timeZone: string;
}

/** The customer's next best action: what, why and by when. */
export function Nba({ recommendation, timeZone }: Props) {
  // The nba service learns of a customer from the topic, a moment after the customer exists.
  if (!recommendation) return <p id="nba-none">No recommendation yet.</p>;
  const { title, reason, urgency, due_at: due } = recommendation;
  return (
    <div id="nba" data-action={recommendation.action}>
      <p class="who">
        <strong>{title}</strong> <span class={`badge ${urgency}`}>{urgency}</span>
      </p>
      <p class="why">{reason}</p>
      {due ? (
        <p class="when">
          Due <time dateTime={due}>{moment(due, timeZone)}</time>
        </p>
      ) : null}
    </div>
  );
}
