// The stages a customer can be filtered by, in the vocabulary chosen (DOMAIN.md, vocabularies):
// without one, the canonical codes; with one, that pipeline's own terms, which the API maps.

export type Vocabulary = "" | "frazer" | "recruiting" | "sales";

export const VOCABULARIES: readonly [Vocabulary, string][] = [
  ["", "Canonical stages"],
  ["frazer", "Frazer"],
  ["recruiting", "Recruiting"],
  ["sales", "Sales"],
];

const CANONICAL: readonly [string, string][] = [
  ["lead", "Lead"],
  ["relationship", "Relationship"],
  ["invited", "Invited"],
  ["qualified", "Qualified"],
  ["presentation_sent", "Presentation Sent"],
  ["follow_up", "Follow-up"],
  ["signed_up", "Signed-up"],
  ["not_now", "Not Now"],
];

const TERMS: Record<Exclude<Vocabulary, "">, readonly string[]> = {
  frazer: ["New", "Relationship", "Invited", "Qualified", "Booked", "No-Show", "Video Sent",
    "Follow-up", "Signed-up", "Team", "Not Now"],
  recruiting: ["New", "Qualified", "Booked", "Held", "Joined", "Lost", "No-Show"],
  sales: ["New", "Qualified", "Booked", "Held", "Won", "Lost", "No-Show"],
};

/** [value sent as `status`, label shown] of each stage of the vocabulary. */
export function stagesOf(vocabulary: Vocabulary): readonly [string, string][] {
  if (vocabulary === "") return CANONICAL;
  return TERMS[vocabulary].map((term) => [term, term]);
}

/** The API's sort orders (the whitelist of GET /api/customers), as a person says them. */
export const SORTS: readonly [string, string][] = [
  ["-created_at", "Newest first"],
  ["created_at", "Oldest first"],
  ["-last_activity_at", "Latest activity first"],
  ["last_activity_at", "Longest quiet first"],
  ["name", "Name A to Z"],
  ["-name", "Name Z to A"],
  ["status", "Stage, earliest first"],
  ["-status", "Stage, latest first"],
  ["-updated_at", "Recently changed first"],
];
