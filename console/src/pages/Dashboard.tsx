import { useEffect, useRef, useState } from "preact/hooks";

import { answered, api } from "../api/client";
import { useAnswer } from "../api/useAnswer";
import { usePageSize } from "../api/usePageSize";
import { Coaching } from "../dashboard/Coaching";
import { Dmo } from "../dashboard/Dmo";
import { Figures } from "../dashboard/Figures";
import { FunnelChart } from "../dashboard/FunnelChart";
import { useLiveTicker } from "../dashboard/liveTicker";
import { Reminders } from "../dashboard/Reminders";
import { SpeedToLead } from "../dashboard/SpeedToLead";
import { Ticker } from "../dashboard/Ticker";
import { Waiting } from "../dashboard/Waiting";
import { WhoNext } from "../dashboard/WhoNext";

// Figures and actions also change with the clock alone (a reminder falls due, an action
// becomes overdue), which no ticker item announces.
const REFRESH_MS = 60_000;
// Items come in bursts (one webhook: its event, then the NBA change): one read per burst.
const SETTLE_MS = 300;

function statsOf(period: "today" | "week") {
  return api.GET("/api/customers/stats", { params: { query: { period } } }).then(answered);
}

/** Counts up whenever the figures should be read again: a ticker item, or the clock. */
function useRefreshes(): [number, () => void] {
  const [round, setRound] = useState(0);
  const settling = useRef<number | undefined>(undefined);
  useEffect(() => {
    const every = window.setInterval(() => setRound((n) => n + 1), REFRESH_MS);
    return () => {
      window.clearInterval(every);
      window.clearTimeout(settling.current);
    };
  }, []);
  const soon = () => {
    window.clearTimeout(settling.current);
    settling.current = window.setTimeout(() => setRound((n) => n + 1), SETTLE_MS);
  };
  return [round, soon];
}

export function Dashboard() {
  const [round, refreshSoon] = useRefreshes();
  const shown = usePageSize();
  const remindersShown = usePageSize();
  const ticker = useLiveTicker(refreshSoon);

  const settings = useAnswer(() => api.GET("/api/settings").then(answered), []);
  const stats = useAnswer(async () => {
    const [today, week] = await Promise.all([statsOf("today"), statsOf("week")]);
    return { today, week };
  }, [round]);
  const whoNext = useAnswer(
    () => api.GET("/api/nba", { params: { query: { limit: shown.limit } } }).then(answered),
    [round, shown.limit],
  );
  const reminders = useAnswer(
    () =>
      api
        .GET("/api/reminders/due", { params: { query: { limit: remindersShown.limit } } })
        .then(answered),
    [round, remindersShown.limit],
  );
  const coaching = useAnswer(() => api.GET("/api/coaching").then(answered), [round]);
  const timeZone = settings.state === "ready" ? settings.data.time_zone : "UTC";

  return (
    <div class="dashboard">
      <h1>Dashboard</h1>
      <section aria-labelledby="figures-title" class="panel">
        <h2 id="figures-title">Figures</h2>
        <Waiting answer={stats}>
          {({ today, week }) => <Figures today={today.counts} week={week.counts} />}
        </Waiting>
      </section>
      <section aria-labelledby="dmo-title" class="panel">
        <h2 id="dmo-title">Daily method of operation</h2>
        <Waiting answer={stats}>{({ today }) => <Dmo dmo={today.dmo} />}</Waiting>
      </section>
      <section aria-labelledby="reminders-title" class="panel">
        <h2 id="reminders-title">Reminders due and overdue</h2>
        <Waiting answer={reminders}>
          {(page) => (
            <Reminders
              items={page.items}
              more={remindersShown.more(page)}
              timeZone={timeZone}
              onMore={remindersShown.showMore}
            />
          )}
        </Waiting>
      </section>
      <section aria-labelledby="coaching-title" class="panel">
        <h2 id="coaching-title">Coaching</h2>
        <Waiting answer={coaching}>{(answer) => <Coaching items={answer.items} />}</Waiting>
      </section>
      <section aria-labelledby="who-next-title" class="panel">
        <h2 id="who-next-title">Who next</h2>
        <Waiting answer={whoNext}>
          {(page) => (
            <WhoNext
              items={page.items}
              more={shown.more(page)}
              timeZone={timeZone}
              onMore={shown.showMore}
            />
          )}
        </Waiting>
      </section>
      <section aria-labelledby="ticker-title" class="panel">
        <h2 id="ticker-title">Live</h2>
        <Ticker items={ticker.items} connection={ticker.connection} timeZone={timeZone} />
      </section>
      <section aria-labelledby="funnel-title" class="panel">
        <h2 id="funnel-title">Funnel this week</h2>
        <Waiting answer={stats}>{({ week }) => <FunnelChart funnel={week.funnel} />}</Waiting>
      </section>
      <section aria-labelledby="speed-title" class="panel">
        <h2 id="speed-title">Speed to lead this week</h2>
        <Waiting answer={stats}>{({ week }) => <SpeedToLead speed={week.speed_to_lead} />}</Waiting>
      </section>
    </div>
  );
}
