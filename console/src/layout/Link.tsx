import type { ComponentChildren } from "preact";

import { navigate } from "./route";

interface Props {
  href: string;
  children: ComponentChildren;
  class?: string;
}

/** A link to another of the console's pages, followed without reloading the console (a
 * modified click, to open it in a new tab, is left to the browser). */
export function Link({ href, children, class: className }: Props) {
  return (
    <a
      href={href}
      class={className}
      onClick={(event) => {
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}
