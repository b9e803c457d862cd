import { answered, api } from "../api/client";
import { useAnswer } from "../api/useAnswer";
import { Waiting } from "../dashboard/Waiting";
import { roleOf } from "../session/role";
import { storedToken } from "../session/token";
import { SettingsForm } from "../settings/SettingsForm";

/** What a member sees at /settings: no form, and no request the API would refuse. */
function AdminsOnly() {
  return (
    <section aria-labelledby="settings-title" class="page">
      <h1 id="settings-title">Settings</h1>
      <p id="admins-only" class="notice">
        Admins only: the account's settings are changed by an admin of the account. Ask an admin
        to change them, or sign in with an admin's token.
      </p>
    </section>
  );
}

function AdminSettings() {
  const settings = useAnswer(() => api.GET("/api/settings").then(answered), []);
  return (
    <section aria-labelledby="settings-title" class="page">
      <h1 id="settings-title">Settings</h1>
      <Waiting answer={settings}>{(data) => <SettingsForm settings={data} />}</Waiting>
    </section>
  );
}

/** The account's automation settings, for its admins. */
export function Settings() {
  return roleOf(storedToken()) === "admin" ? <AdminSettings /> : <AdminsOnly />;
}
