// The signed-in person's role, from the token's own `role` claim (member or admin): the API
// has no "who am I" endpoint, and the claims are the token's payload, readable by whoever holds
// it. It is read, not verified: the API checks the signature and the role on every request, so
// this only decides what the console offers (the Settings page to admins), never what is allowed.

export type Role = "member" | "admin";

function claimsOf(token: string): Record<string, unknown> {
  const payload = token.split(".")[1] ?? "";
  const base64 = payload.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64.padEnd(Math.ceil(base64.length / 4) * 4, "=");
  const claims: unknown = JSON.parse(atob(padded));
  return typeof claims === "object" && claims !== null ? (claims as Record<string, unknown>) : {};
}

/** The token's role; a token that cannot be read is taken as a member's (the API's default). */
export function roleOf(token: string | null): Role {
  if (!token) return "member";
  try {
    return claimsOf(token)["role"] === "admin" ? "admin" : "member";
  } catch {
    return "member";
  }
}
