// Who a customer is, for lists that carry only the id (who next): asked once per customer
// and kept for the session's lifetime in the page, since a name rarely changes.

import { useEffect, useState } from "preact/hooks";

import { answered, api } from "../api/client";

const asked = new Map<string, Promise<string>>();

function nameOf(customerId: string): Promise<string> {
  let name = asked.get(customerId);
  if (!name) {
    name = api
      .GET("/api/customers/{customer_id}", { params: { path: { customer_id: customerId } } })
      .then(answered)
      .then((customer) => customer.name ?? Object.values(customer.handles)[0] ?? "A customer")
      .catch(() => {
        asked.delete(customerId); // asked again when the list next changes
        return "A customer";
      });
    asked.set(customerId, name);
  }
  return name;
}

/** The names known so far of these customers, filled in as they arrive. */
export function useCustomerNames(customerIds: readonly string[]): ReadonlyMap<string, string> {
  const [names, setNames] = useState<ReadonlyMap<string, string>>(new Map());
  const key = customerIds.join(",");
  useEffect(() => {
    let current = true;
    for (const id of customerIds) {
      void nameOf(id).then((name) => {
        if (current) setNames((known) => new Map(known).set(id, name));
      });
    }
    return () => {
      current = false;
    };
  }, [key]);
  return names;
}
