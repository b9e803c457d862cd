// The console's pages: each a path, a title for the navigation and the page's component.
// A new page (the customer card, customers, settings, deliveries) is one more entry here.
// A path may name parameters (`/customers/:id`); such a page is reached by links, not from
// the navigation, and its component gets them as `params`.

import type { ComponentType } from "preact";

import { CustomerCard } from "../pages/CustomerCard";
import { Dashboard } from "../pages/Dashboard";
import { matchPath, type Params } from "./route";

export interface PageProps {
  params: Params;
}

export interface Page {
  path: string;
  title: string;
  component: ComponentType<PageProps>;
  /** Whether the path's parameters can name something (a customer id is a UUID); a path
   * whose parameters cannot is no page at all, rather than a page of 422 answers. */
  accepts?: (params: Params) => boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const PAGES: readonly Page[] = [
  { path: "/", title: "Dashboard", component: Dashboard },
  {
    path: "/customers/:id",
    title: "Customer card",
    component: CustomerCard,
    accepts: ({ id }) => UUID.test(id ?? ""),
  },
];

export function inNavigation(page: Page): boolean {
  return !page.path.includes("/:");
}

export function pageAt(path: string): { page: Page; params: Params } | undefined {
  for (const page of PAGES) {
    const params = matchPath(page.path, path);
    if (params && (page.accepts?.(params) ?? true)) return { page, params };
  }
  return undefined;
}
