import { useEffect, useState } from "preact/hooks";

import { ApiError } from "./client";

export type Answer<T> =
  | { state: "loading" }
  | { state: "ready"; data: T }
  | { state: "failed"; why: string };

/** The answer of `load()`, asked again whenever one of `deps` changes. While a new answer is
 * on its way the last one stays shown, so a refresh does not blank the screen. */
export function useAnswer<T>(load: () => Promise<T>, deps: readonly unknown[]): Answer<T> {
  const [answer, setAnswer] = useState<Answer<T>>({ state: "loading" });
  useEffect(() => {
    let current = true;
    load().then(
      (data) => current && setAnswer({ state: "ready", data }),
      (error: unknown) => {
        if (!current) return;
        const why = error instanceof ApiError ? error.message : "The API cannot be reached.";
        setAnswer({ state: "failed", why });
      },
    );
    return () => {
      current = false;
    };
    // The caller names what `load` depends on, as with useEffect itself.
  }, deps);
  return answer;
}
