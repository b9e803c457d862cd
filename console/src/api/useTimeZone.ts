import { answered, api } from "./client";
import { useAnswer } from "./useAnswer";

/** The account's time zone (its settings, which any member reads), in which the console
 * writes times; UTC until it is known. */
export function useTimeZone(): string {
  const settings = useAnswer(() => api.GET("/api/settings").then(answered), []);
  return settings.state === "ready" ? settings.data.time_zone : "UTC";
}
