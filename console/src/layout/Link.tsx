import type { ComponentChildren } from "preact";

import { navigate } from "./route";

interface Props {
  href: string;
  children: ComponentChildren;
  class?: string;
}

/** A link to another page of the console, followed without reloading it. */
export function Link({ href, children, class: className }: Props) {
  return (
    <a
      href={href}
      class={className}
      onClick={(event) => {
        if (event.ctrlKey || event.metaKey || event.shiftKey) return; // a new tab or window
        event.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}

export function customerPath(customerId: string): string {
  return `/customers/${encodeURIComponent(customerId)}`;
}
