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
  const page = pageAt(path);
  return (
    <Shell path={path}>
      {page ? (
        <page.component key={token} />
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
