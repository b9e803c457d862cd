// The console's pages: each a path, a title for the navigation and the page's component.
// A new page (the customer card, customers, settings, deliveries) is one more entry here.

import type { ComponentType } from "preact";

import { Customers } from "../pages/Customers";
import { Dashboard } from "../pages/Dashboard";
import { Deliveries } from "../pages/Deliveries";
import { Settings } from "../pages/Settings";

export interface Page {
  path: string;
  title: string;
  component: ComponentType;
  /** Listed in the navigation of admins only (the page itself tells a member so). */
  adminOnly?: boolean;
}

export const PAGES: readonly Page[] = [
  { path: "/", title: "Dashboard", component: Dashboard },
  { path: "/customers", title: "Customers", component: Customers },
  { path: "/deliveries", title: "Deliveries", component: Deliveries },
  { path: "/settings", title: "Settings", component: Settings, adminOnly: true },
];

export function pageAt(path: string): Page | undefined {
  return PAGES.find((page) => page.path === path);
}
