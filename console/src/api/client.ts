// The typed API client: paths, parameters and answers are those of the published OpenAPI
// document (src/api/schema.d.ts is generated from it at build time), so a change of the API
// that the console does not follow fails `tsc`, not a person's screen.

import createClient, { type Middleware } from "openapi-fetch";

import { signOut, storedToken } from "../session/token";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

const bearerToken: Middleware = {
  onRequest({ request }) {
    const token = storedToken();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
  onResponse({ response }) {
    // An expired or revoked token: back to the sign-in page rather than empty screens.
    if (response.status === 401) signOut();
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(bearerToken);

/** A problem the API answered (RFC 9457), or that it could not be reached. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The answer's data, or ApiError with the problem's title and detail. */
export function answered<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data !== undefined) return result.data;
  const problem = result.error as Partial<Schemas["Problem"]> | undefined;
  const text = [problem?.title, problem?.detail].filter(Boolean).join(": ");
  throw new ApiError(result.response.status, text || result.response.statusText);
}
