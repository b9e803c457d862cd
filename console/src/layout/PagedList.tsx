import type { ComponentChildren } from "preact";

import type { Pages } from "../api/usePages";

interface Props<T> {
  pages: Pages<T>;
  onMore: () => void;
  /** What the page says when nothing matches. */
  empty: string;
  /** The next page's button, e.g. "Show more customers". */
  moreLabel: string;
  children: (items: readonly T[]) => ComponentChildren;
}

/** A cursor-paged list's rows once the first page is there, and the next page's button while
 * the API says there is one; until then, or when it failed, a line saying so. */
export function PagedList<T>({ pages, onMore, empty, moreLabel, children }: Props<T>) {
  if (pages.state === "loading") return <p class="quiet-text">Loading…</p>;
  if (pages.state === "failed") return <p role="alert">Could not load: {pages.why}</p>;
  if (pages.items.length === 0) return <p>{empty}</p>;
  return (
    <>
      <p class="quiet-text">
        {pages.items.length} shown{pages.more ? ", more to come" : ""}
      </p>
      {children(pages.items)}
      {pages.more ? (
        <button type="button" onClick={onMore} disabled={pages.loadingMore}>
          {pages.loadingMore ? "Loading…" : moreLabel}
        </button>
      ) : null}
    </>
  );
}
