// The pages reached by links rather than from the navigation (pages.ts lists those): each path
// names parameters (`/customers/:id`), which the page's component gets as `params`.

import type { ComponentType } from "preact";

import { CustomerCard } from "../pages/CustomerCard";
import { matchPath, type Params } from "./route";

export interface PageProps {
  params: Params;
}

export interface LinkedPage {
  path: string;
  component: ComponentType<PageProps>;
  /** Whether the parameters can name something (a customer id is a UUID): a path whose
   * parameters cannot is no page at all, rather than a page of 422 answers. */
  accepts: (params: Params) => boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const LINKED_PAGES: readonly LinkedPage[] = [
  { path: "/customers/:id", component: CustomerCard, accepts: ({ id }) => UUID.test(id ?? "") },
];

export function linkedPageAt(path: string): { page: LinkedPage; params: Params } | undefined {
  for (const page of LINKED_PAGES) {
    const params = matchPath(page.path, path);
    if (params && page.accepts(params)) return { page, params };
  }
  return undefined;
}
