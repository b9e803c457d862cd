import type { ComponentChildren } from "preact";

import { signOut } from "../session/token";
import { PAGES } from "./pages";
import { navigate } from "./route";

interface Props {
  path: string;
  children: ComponentChildren;
}

/** The frame of every signed-in page: the navigation, sign-out, and the page as `main`. */
export function Shell({ path, children }: Props) {
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="bar">
        <span class="brand">Frazer CRM</span>
        <nav aria-label="Pages">
          <ul>
            {PAGES.map((page) => (
              <li key={page.path}>
                <a
                  href={page.path}
                  aria-current={page.path === path ? "page" : undefined}
                  onClick={(event) => {
                    event.preventDefault();
                    navigate(page.path);
                  }}
                >
                  {page.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" class="quiet" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
