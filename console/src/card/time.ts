// A datetime-local control holds a wall time without a zone; the API takes and gives
// instants. The card reads and writes wall times in the account's time zone (its settings),
// as every time it shows is (dashboard/format.ts), whatever the browser's own zone.

/** The instant's wall time in the zone, as a datetime-local value ("2026-12-07T21:58"). */
function wallTime(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes) =>
    parts.find((found) => found.type === type)?.value ?? "00";
  return `${part("year")}-${part("month")}-${part("day")}T${part("hour")}:${part("minute")}`;
}

/** How far the zone's wall clock is ahead of UTC at that instant, in ms. */
function offsetAt(at: number, timeZone: string): number {
  const minute = Math.floor(at / 60_000) * 60_000;
  return Date.parse(`${wallTime(new Date(minute), timeZone)}:00Z`) - minute;
}

/** The instant as the control's value, in the account's time zone. */
export function inputValue(iso: string | null | undefined, timeZone: string): string {
  return iso ? wallTime(new Date(iso), timeZone) : "";
}

/** The control's value, a wall time in the account's zone, as an instant (ISO 8601), or null
 * when empty. The offset is taken twice: the second time at the instant the first gave, which
 * is right on both sides of a change of summer time. */
export function instantOf(value: string, timeZone: string): string | null {
  const asUtc = Date.parse(`${value}:00Z`);
  if (!value || Number.isNaN(asUtc)) return null;
  const first = asUtc - offsetAt(asUtc, timeZone);
  return new Date(asUtc - offsetAt(first, timeZone)).toISOString();
}

/** An instant this many hours from now, as the control's value (a default to start from). */
export function hoursFromNow(hours: number, timeZone: string): string {
  return wallTime(new Date(Date.now() + hours * 3_600_000), timeZone);
}
