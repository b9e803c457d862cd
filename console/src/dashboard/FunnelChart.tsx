import type { Schemas } from "../api/client";
import { percent } from "./format";

type Funnel = Schemas["Funnel"];
type Step = "cohort" | "qualified" | "booked" | "held" | "signed_up";

const STEPS: readonly (readonly [Step, string])[] = [
  ["cohort", "New leads"],
  ["qualified", "Qualified"],
  ["booked", "Booked"],
  ["held", "Held"],
  ["signed_up", "Signed up"],
];

/** The funnel of the period's new leads, one bar per step, each labelled with its count.
 * Plain elements, not a drawing: the labels are text a screen reader and a test can read. */
export function FunnelChart({ funnel }: { funnel: Funnel }) {
  const widest = Math.max(funnel.cohort, 1);
  return (
    <>
      <ol class="funnel" id="funnel" aria-label="Funnel of this week's new leads">
        {STEPS.map(([step, label]) => {
          const count = funnel[step];
          const rate = step === "cohort" ? null : funnel.rates[step];
          return (
            <li key={step} data-step={step}>
              <span class="funnel-label">
                {label}: <strong class="count">{count}</strong>
                {step === "cohort" ? null : (
                  <span class="quiet-text"> ({percent(rate)} of the step before)</span>
                )}
              </span>
              <span class="funnel-track" aria-hidden="true">
                <span class="funnel-bar" style={{ width: `${(count / widest) * 100}%` }} />
              </span>
            </li>
          );
        })}
      </ol>
      <p class="help">
        Show rate {percent(funnel.show_rate)}, no-show rate {percent(funnel.no_show_rate)}, rebooks
        recovered {percent(funnel.rebook_recovery)}.
      </p>
    </>
  );
}
