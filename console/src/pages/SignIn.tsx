import { useState } from "preact/hooks";

import { api } from "../api/client";
import { signIn } from "../session/token";

type Check = { state: "idle" } | { state: "checking" } | { state: "refused"; why: string };

/** Paste a token (`uv run crm token --account <id>`); it is tried once before it is kept. */
export function SignIn() {
  const [token, setToken] = useState("");
  const [check, setCheck] = useState<Check>({ state: "idle" });

  async function submit(event: Event) {
    event.preventDefault();
    const candidate = token.trim();
    setCheck({ state: "checking" });
    try {
      // Asked with the candidate itself, not through the client: nothing is kept until the
      // API has accepted it.
      const { response } = await api.GET("/api/settings", {
        headers: { Authorization: `Bearer ${candidate}` },
      });
      if (response.ok) {
        signIn(candidate);
        return;
      }
      const why = response.status === 401 ? "This token is not accepted." : response.statusText;
      setCheck({ state: "refused", why });
    } catch {
      setCheck({ state: "refused", why: "The API cannot be reached." });
    }
  }

  return (
    <main id="main" class="sign-in">
      <h1>Sign in</h1>
      <form onSubmit={submit}>
        <label for="token">Token</label>
        <textarea
          id="token"
          name="token"
          rows={4}
          required
          autoComplete="off"
          spellcheck={false}
          aria-describedby="token-help"
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
        />
        <p id="token-help" class="help">
          Paste a token from <code>uv run crm token --account &lt;account&gt;</code>, or open the
          console address <code>make up</code> prints.
        </p>
        <button type="submit" disabled={check.state === "checking"}>
          Sign in
        </button>
        <p role="alert" class="problem">
          {check.state === "refused" ? check.why : ""}
        </p>
      </form>
    </main>
  );
}
