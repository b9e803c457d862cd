import { useEffect, useRef, useState } from "preact/hooks";

import { ApiError } from "./client";

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

export type Pages<T> =
  | { state: "loading" }
  | { state: "failed"; why: string }
  | { state: "ready"; items: readonly T[]; more: boolean; loadingMore: boolean };

function reason(error: unknown): string {
  return error instanceof ApiError ? error.message : "The API cannot be reached.";
}

/** A cursor-paged list: the first page of `load()`, asked again from the start whenever one of
 * `deps` changes (a new search or filter), and each next page appended by `loadMore`, asked
 * with the `next_cursor` the page before it gave. */
export function usePages<T>(
  load: (cursor: string | undefined) => Promise<Page<T>>,
  deps: readonly unknown[],
): [Pages<T>, () => void] {
  const [pages, setPages] = useState<Pages<T>>({ state: "loading" });
  const cursor = useRef<string | undefined>(undefined);
  // Each search is a generation: an answer to an older one is dropped when it comes late.
  const generation = useRef(0);

  useEffect(() => {
    const mine = ++generation.current;
    cursor.current = undefined;
    setPages({ state: "loading" });
    load(undefined).then(
      (page) => {
        if (mine !== generation.current) return;
        cursor.current = page.next_cursor ?? undefined;
        const more = Boolean(cursor.current);
        setPages({ state: "ready", items: page.items, more, loadingMore: false });
      },
      (error: unknown) => {
        if (mine === generation.current) setPages({ state: "failed", why: reason(error) });
      },
    );
    // The caller names what `load` depends on, as with useEffect itself.
  }, deps);

  function loadMore(): void {
    if (pages.state !== "ready" || !cursor.current || pages.loadingMore) return;
    const mine = generation.current;
    const shown = pages.items;
    setPages({ ...pages, loadingMore: true });
    load(cursor.current).then(
      (page) => {
        if (mine !== generation.current) return;
        cursor.current = page.next_cursor ?? undefined;
        const items = [...shown, ...page.items];
        setPages({ state: "ready", items, more: Boolean(cursor.current), loadingMore: false });
      },
      (error: unknown) => {
        if (mine === generation.current) setPages({ state: "failed", why: reason(error) });
      },
    );
  }

  return [pages, loadMore];
}
