import type { Schemas } from "../api/client";
import { SelectField } from "../layout/SelectField";

// The providers and outcomes as a person says them.
export const CONNECTORS: Record<Schemas["Connector"], string> = {
  messenger: "Messenger",
  instagram: "Instagram",
  whatsapp: "WhatsApp",
  lead_ads: "Lead ads",
  calendly: "Calendly",
  calcom: "Cal.com",
  meta: "Meta",
  dm: "DM webhook",
  capi_lead: "Conversions API lead",
};

export const OUTCOMES: Record<Schemas["DeliveryOutcome"], string> = {
  accepted: "accepted",
  duplicate: "duplicate",
  ignored: "ignored",
  rejected: "rejected",
  failed: "failed",
};

export interface DeliveryFilter {
  connector: Schemas["Connector"] | "";
  outcome: Schemas["DeliveryOutcome"] | "";
}

function choices<V extends string>(labels: Record<V, string>): [V, string][] {
  return Object.entries(labels) as [V, string][];
}

interface Props {
  filter: DeliveryFilter;
  onFilter: (filter: DeliveryFilter) => void;
}

/** The deliveries log's filters (GET /api/hooks/deliveries): by provider and by outcome. */
export function DeliveryFilters({ filter, onFilter }: Props) {
  return (
    <form class="filters" onSubmit={(event) => event.preventDefault()}>
      <SelectField
        id="delivery-connector"
        label="Provider"
        value={filter.connector}
        options={[["", "Any provider"], ...choices(CONNECTORS)]}
        onChoose={(connector) => onFilter({ ...filter, connector })}
      />
      <SelectField
        id="delivery-outcome"
        label="Outcome"
        value={filter.outcome}
        options={[["", "Any outcome"], ...choices(OUTCOMES)]}
        onChoose={(outcome) => onFilter({ ...filter, outcome })}
      />
    </form>
  );
}
