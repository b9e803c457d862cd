import { useEffect, useState } from "preact/hooks";

import { linkedPageAt } from "./layout/linkedPages";
import { pageAt } from "./layout/pages";
import { navigate, usePath } from "./layout/route";
import { Shell } from "./layout/Shell";
import { SignIn } from "./pages/SignIn";
import { onTokenChange, storedToken } from "./session/token";

export function App() {
  const [token, setToken] = useState(storedToken());
  const path = usePath();
  useEffect(() => onTokenChange(setToken), []);

  if (!token) return <SignIn />;
  const page = pageAt(path);
  const linked = page ? undefined : linkedPageAt(path);
  return (
    <Shell path={path}>
      {page ? (
        <page.component key={token} />
      ) : linked ? (
        // Keyed by the path too: another customer's card is a page of its own.
        <linked.page.component key={`${token} ${path}`} params={linked.params} />
      ) : (
        <section aria-labelledby="missing">
          <h1 id="missing">No such page</h1>
          <p>
            <a
              href="/"
              onClick={(event) => {
                event.preventDefault();
                navigate("/");
              }}
            >
              Go to the dashboard
            </a>
          </p>
        </section>
      )}
    </Shell>
  );
}
