// The console's pages: each a path, a title for the navigation and the page's component.
// A new page (the customer card, customers, settings, deliveries) is one more entry here.

import type { ComponentType } from "preact";

import { Dashboard } from "../pages/Dashboard";

export interface Page {
  path: string;
  title: string;
  component: ComponentType;
}

export const PAGES: readonly Page[] = [{ path: "/", title: "Dashboard", component: Dashboard }];

export function pageAt(path: string): Page | undefined {
  return PAGES.find((page) => page.path === path);
}
