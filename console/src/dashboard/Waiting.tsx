import type { ComponentChildren } from "preact";

import type { Answer } from "../api/useAnswer";

interface Props<T> {
  answer: Answer<T>;
  children: (data: T) => ComponentChildren;
}

/** A panel's content once its answer is there; until then, or when it failed, a line saying so. */
export function Waiting<T>({ answer, children }: Props<T>) {
  if (answer.state === "loading") return <p class="quiet-text">Loading…</p>;
  if (answer.state === "failed") return <p role="alert">Could not load: {answer.why}</p>;
  return <>{children(answer.data)}</>;
}
