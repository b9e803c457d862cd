// The live ticker over Server-Sent Events. EventSource cannot send headers, so the token goes
// as the `access_token` query parameter, which only the stream accepts (the gateway logs paths
// without their query). While the connection holds, EventSource reconnects by itself with the
// Last-Event-ID it has, and the stream resumes after it. Each time the stream (re)opens, the
// newest items are also read with GET /api/ticker and merged by id: the stream starts after
// the newest item at the moment it opened, so that read covers what came before, and after a
// connection that had to be opened anew (a 503 while Redis was away) what came in between.

import { useEffect, useState } from "preact/hooks";

import { answered, api, type Schemas } from "../api/client";
import { storedToken } from "../session/token";

type Item = Schemas["TickerItem"];
export type Connection = "connecting" | "live" | "reconnecting";

const KEPT = 50;
const REOPEN_AFTER_MS = 5000;

/** Stream ids are "<ms>-<seq>": newest first means larger ms, then larger seq. */
function newerFirst(a: Item, b: Item): number {
  const [aMs = 0, aSeq = 0] = a.id.split("-").map(Number);
  const [bMs = 0, bSeq = 0] = b.id.split("-").map(Number);
  return bMs - aMs || bSeq - aSeq;
}

export function merged(kept: readonly Item[], arrived: readonly Item[]): Item[] {
  const byId = new Map(kept.map((item) => [item.id, item]));
  for (const item of arrived) byId.set(item.id, item);
  return [...byId.values()].sort(newerFirst).slice(0, KEPT);
}

/** The newest ticker items, live, and the connection's state; `onItem` hears each new item. */
export function useLiveTicker(onItem: (item: Item) => void): {
  items: readonly Item[];
  connection: Connection;
} {
  const [items, setItems] = useState<readonly Item[]>([]);
  const [connection, setConnection] = useState<Connection>("connecting");

  useEffect(() => {
    let source: EventSource | null = null;
    let reopen: number | undefined;
    let stopped = false;

    const readNewest = () =>
      api
        .GET("/api/ticker", { params: { query: { limit: KEPT } } })
        .then(answered)
        .then((answer) => setItems((kept) => merged(kept, answer.items)))
        .catch(() => undefined); // a 401 has signed out already; else the next open retries

    const open = () => {
      const token = storedToken();
      if (stopped || !token) return;
      const address = `/api/ticker/stream?access_token=${encodeURIComponent(token)}`;
      source = new EventSource(address);
      source.onopen = () => {
        setConnection("live");
        void readNewest();
      };
      source.addEventListener("ticker", (event) => {
        const item = JSON.parse((event as MessageEvent<string>).data) as Item;
        setItems((kept) => merged(kept, [item]));
        onItem(item);
      });
      source.onerror = () => {
        setConnection("reconnecting");
        if (source?.readyState !== EventSource.CLOSED) return; // EventSource retries itself
        // Closed for good: the stream answered other than 200 (503 while Redis is away, or
        // 401). Opened anew later; a plain read in between tells an expired token (and signs
        // out through the client) from an outage.
        void readNewest();
        reopen = window.setTimeout(open, REOPEN_AFTER_MS);
      };
    };

    open();
    return () => {
      stopped = true;
      window.clearTimeout(reopen);
      source?.close();
    };
  }, []);

  return { items, connection };
}
