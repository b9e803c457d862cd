// The signed-in person's token: kept in sessionStorage, so it lives as long as the tab and is
// never written to a cookie or a server log. `make up` prints a console address carrying the
// token in the fragment (#token=...), which a browser never sends to a server.

const KEY = "crm.token";
const FRAGMENT_PARAMETER = "token";

type Listener = (token: string | null) => void;
const listeners = new Set<Listener>();

export function storedToken(): string | null {
  return sessionStorage.getItem(KEY);
}

function announce(token: string | null): void {
  for (const listener of listeners) listener(token);
}

export function signIn(token: string): void {
  sessionStorage.setItem(KEY, token);
  announce(token);
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  announce(null);
}

/** Called with the new token (null: signed out) whenever it changes; returns the unsubscriber. */
export function onTokenChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** A token given in the address's fragment is kept and taken out of the address (and so out
 * of the history and of anything copied from the address bar). */
export function takeTokenFromFragment(): void {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const token = fragment.get(FRAGMENT_PARAMETER);
  if (!token) return;
  sessionStorage.setItem(KEY, token);
  history.replaceState(history.state, "", window.location.pathname + window.location.search);
}
