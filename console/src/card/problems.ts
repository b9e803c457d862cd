// What a change the API refused says, for the control that asked: RFC 9457 problem details,
// their `errors` by field (shown next to that field) and, for a pipeline move, the `missing`
// field that would allow it.

import type { Schemas } from "../api/client";

export interface Refusal {
  status: number;
  /** The problem's title and detail, as one sentence for the person. */
  says: string;
  /** Each bad field's message, by its name in the body ("email", "handles.ig"). */
  fields: Readonly<Record<string, string>>;
  missing?: string;
}

export type Tried<T> = { ok: true; data: T } | { ok: false; refusal: Refusal };

type Problem = Partial<Schemas["Problem"]> & { missing?: string };

function fieldName(loc: readonly (string | number)[]): string {
  const inside = ["body", "query", "path"].includes(String(loc[0])) ? loc.slice(1) : loc;
  return inside.join(".");
}

/** The call's data, or what its refusal says (a 204 has no data: `undefined` then). */
export async function tried<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<Tried<T>> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch {
    return { ok: false, refusal: { status: 0, says: "The API cannot be reached.", fields: {} } };
  }
  if (result.response.ok) return { ok: true, data: result.data as T };
  const problem = (result.error ?? {}) as Problem;
  const fields: Record<string, string> = {};
  for (const error of problem.errors ?? []) fields[fieldName(error.loc)] = error.msg;
  const says = [problem.title, problem.detail].filter(Boolean).join(": ");
  return {
    ok: false,
    refusal: {
      status: result.response.status,
      says: says || result.response.statusText,
      fields,
      missing: problem.missing,
    },
  };
}

/** What to show beside the field `name`: its own error, else the refusal as a whole. */
export function refusalFor(refusal: Refusal | null, name: string): string {
  if (!refusal) return "";
  return refusal.fields[name] ?? refusal.says;
}
