import { useState } from "preact/hooks";

const PAGE = 20;
// A list shown in a page grows to at most this (the API's largest page).
const MOST = 500;

/** How many items of a cursor-paginated list to ask for: a page more at each "show more". */
export function usePageSize(): {
  limit: number;
  more: (page: { next_cursor?: string | null }) => boolean;
  showMore: () => void;
} {
  const [limit, setLimit] = useState(PAGE);
  return {
    limit,
    more: (page) => Boolean(page.next_cursor) && limit < MOST,
    showMore: () => setLimit((n) => Math.min(n + PAGE, MOST)),
  };
}
