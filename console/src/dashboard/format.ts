// Times as the account reads them: in the account's own time zone (its settings), not the
// browser's, so that a figure and its reminder say the same hour wherever one looks from.

export function moment(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone,
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  }).format(new Date(iso));
}

export function percent(ratio: number | null): string {
  return ratio === null ? "no target" : `${Math.round(ratio * 100)} %`;
}
