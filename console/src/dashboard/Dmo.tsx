import type { Schemas } from "../api/client";
import { percent } from "./format";

type Progress = Schemas["DmoProgress"];

interface BarProps {
  id: string;
  label: string;
  done: number;
  target: number;
  ratio: number | null;
}

function Bar({ id, label, done, target, ratio }: BarProps) {
  // A target of 0 is met by any count: the bar shows full.
  const value = target === 0 ? 1 : Math.min(done / target, 1);
  return (
    <div class="bar-row">
      <label for={id}>
        {label}: {done} of {target} ({percent(ratio)})
      </label>
      <progress id={id} max={1} value={value} />
    </div>
  );
}

function Period({ name, title, progress }: { name: string; title: string; progress: Progress }) {
  return (
    <div class="dmo-period" data-period={name}>
      <h3>
        {title} {progress.met ? <span class="badge met">met</span> : null}
      </h3>
      <Bar
        id={`dmo-${name}-invites`}
        label="Invites"
        done={progress.invites}
        target={progress.invites_target}
        ratio={progress.invites_pct}
      />
      <Bar
        id={`dmo-${name}-follow-ups`}
        label="Follow-ups"
        done={progress.follow_ups}
        target={progress.follow_ups_target}
        ratio={progress.follow_ups_pct}
      />
    </div>
  );
}

/** The daily method of operation against its targets, today and this week, and the streak. */
export function Dmo({ dmo }: { dmo: Schemas["DmoSummary"] }) {
  const days = dmo.streak_days;
  return (
    <>
      <p class="streak" id="streak">
        Streak: <strong>{days}</strong> {days === 1 ? "day" : "days"} with both targets met
      </p>
      <div class="dmo">
        <Period name="today" title="Today" progress={dmo.today} />
        <Period name="week" title="This week" progress={dmo.week} />
      </div>
    </>
  );
}
