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
