// The pipeline's vocabularies and what a "next stage" needs, as DOMAIN.md's pipeline section
// defines them: asked for before the move is sent, so the person answers once instead of
// reading a 409. The terms and the canonical order are read from the concordance artifact the
// services' own code generates (and CI holds to it), not written here a second time.

import mapping from "../../../docs/concordance/status_mapping.json";
import type { Schemas } from "../api/client";

export const VOCABULARIES = {
  frazer: mapping.vocabularies.frazer.terms,
  recruiting: mapping.vocabularies.recruiting.terms,
  sales: mapping.vocabularies.sales.terms,
};

export type VocabularyName = keyof typeof VOCABULARIES;

export function isVocabulary(name: string | null): name is VocabularyName {
  return name !== null && Object.hasOwn(VOCABULARIES, name);
}

const ORDER: readonly string[] = mapping.canonical.pipeline_order;

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
    const next = status === "not_now" ? "relationship" : ORDER[ORDER.indexOf(status) + 1];
    return { possible: true, why: next === "qualified" && noWhy, bookingTime: false };
  }
  if (["lead", "relationship", "invited"].includes(status)) {
    return { possible: true, why: noWhy, bookingTime: false };
  }
  const toBooked = status === "qualified" && customer.booking.state !== "booked";
  return { possible: true, why: false, bookingTime: toBooked };
}
