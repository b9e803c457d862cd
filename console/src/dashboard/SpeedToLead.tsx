import type { Schemas } from "../api/client";
import { percent } from "./format";

/** A duration in seconds as a person reads it: seconds, minutes or hours. */
function duration(seconds: number | null): string {
  if (seconds === null) return "none yet";
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** How fast this week's new leads were answered, and how many are still waiting. */
export function SpeedToLead({ speed }: { speed: Schemas["SpeedToLead"] }) {
  const rows: readonly (readonly [string, string, string])[] = [
    ["median", "Median time to first answer", duration(speed.median_s)],
    ["p90", "9 in 10 answered within", duration(speed.p90_s)],
    ["sla", "Answered within 5 minutes", percent(speed.sla_5min_ratio)],
    ["answered", "Answered", String(speed.answered)],
    ["unanswered", "Not answered yet", String(speed.unanswered)],
  ];
  return (
    <dl class="speed" id="speed-to-lead">
      {rows.map(([key, label, value]) => (
        <div key={key} data-figure={key}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
