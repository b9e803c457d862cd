// Client-side routes as real paths (/, /customers/<id>, ...): the gateway answers index.html
// for any path outside /api, so a reload or a shared link opens the same page.

import { useEffect, useState } from "preact/hooks";

const CHANGED = "crm:navigate";

export function usePath(): string {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const follow = () => setPath(window.location.pathname);
    window.addEventListener("popstate", follow);
    window.addEventListener(CHANGED, follow);
    return () => {
      window.removeEventListener("popstate", follow);
      window.removeEventListener(CHANGED, follow);
    };
  }, []);
  return path;
}

export function navigate(path: string): void {
  history.pushState(null, "", path);
  window.dispatchEvent(new Event(CHANGED));
}

export type Params = Readonly<Record<string, string>>;

/** The parameters of `path` if it matches `pattern` ("/customers/:id"), else null. */
export function matchPath(pattern: string, path: string): Params | null {
  const wanted = pattern.split("/");
  const given = path.split("/");
  if (wanted.length !== given.length) return null;
  const params: Record<string, string> = {};
  for (const [index, part] of wanted.entries()) {
    const value = given[index] ?? "";
    if (part.startsWith(":")) {
      if (!value) return null;
      params[part.slice(1)] = decodeURIComponent(value);
    } else if (part !== value) {
      return null;
    }
  }
  return params;
}

export function customerPath(customerId: string): string {
  return `/customers/${encodeURIComponent(customerId)}`;
}
