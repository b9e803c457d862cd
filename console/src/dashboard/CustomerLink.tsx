import { Link } from "../layout/Link";
import { customerPath } from "../layout/route";

interface Props {
  customerId: string;
  names: ReadonlyMap<string, string>;
}

/** A dashboard row's customer: the name once known (useCustomerNames), linking to the card. */
export function CustomerLink({ customerId, names }: Props) {
  return (
    <strong>
      <Link href={customerPath(customerId)}>{names.get(customerId) ?? "…"}</Link>
    </strong>
  );
}
