import { useEffect, useState } from "preact/hooks";

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
  const found = pageAt(path);
  return (
    <Shell path={path}>
      {found ? (
        // Keyed by the path too: another customer's card is a page of its own.
        <found.page.component key={`${token} ${path}`} params={found.params} />
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
