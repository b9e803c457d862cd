// The pipeline's vocabularies and what a "next stage" needs, as /work/shared DOMAIN.md's
// pipeline section (and crm_schemas.vocabulary) defines them: asked for before the move is
// sent, so the person answers once instead of reading a 409.

import type { Schemas } from "../api/client";

export const VOCABULARIES = {
  frazer: [
    "New",
    "Relationship",
    "Invited",
    "Qualified",
    "Booked",
    "No-Show",
    "Video Sent",
    "Follow-up",
    "Signed-up",
    "Team",
    "Not Now",
  ],
  recruiting: ["New", "Qualified", "Booked", "Held", "Joined", "Lost", "No-Show"],
  sales: ["New", "Qualified", "Booked", "Held", "Won", "Lost", "No-Show"],
} as const;

export type VocabularyName = keyof typeof VOCABULARIES;

export function isVocabulary(name: string | null): name is VocabularyName {
  return name !== null && name in VOCABULARIES;
}

const ORDER = [
  "lead",
  "relationship",
  "invited",
  "qualified",
  "presentation_sent",
  "follow_up",
  "signed_up",
] as const;

export interface NextNeeds {
  possible: boolean;
  why: boolean;
  bookingTime: boolean;
}

/** Whether the customer has a next stage in this vocabulary, and what moving there needs:
 * the prospect's Why when entering qualified (unless the card has one), the booking's time
 * when recruiting's or sales' next term is Booked. */
export function nextNeeds(customer: Schemas["CustomerOut"], vocabulary: VocabularyName): NextNeeds {
  const { status } = customer;
  const noWhy = !customer.prospect_why?.trim();
  if (status === "signed_up") return { possible: false, why: false, bookingTime: false };
  if (vocabulary === "frazer") {
    const next = status === "not_now" ? "relationship" : ORDER[ORDER.indexOf(status as never) + 1];
    return { possible: true, why: next === "qualified" && noWhy, bookingTime: false };
  }
  if (["lead", "relationship", "invited"].includes(status)) {
    return { possible: true, why: noWhy, bookingTime: false };
  }
  const toBooked = status === "qualified" && customer.booking.state !== "booked";
  return { possible: true, why: false, bookingTime: toBooked };
}
