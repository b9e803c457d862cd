import { useState } from "preact/hooks";

import { api, type Schemas } from "../api/client";
import { moment } from "../dashboard/format";
import { DmoTargetFields, OtherFields, QuietHoursFields } from "./AccountFields";
import { AutomationTable } from "./AutomationTable";
import {
  type Draft,
  draftOf,
  type FieldErrors,
  fieldErrorsOf,
  patchOf,
  unplacedErrors,
} from "./draft";

type Saving =
  | { state: "editing" }
  | { state: "saving" }
  | { state: "saved"; at: string }
  | { state: "refused"; why: string; errors: FieldErrors };

const NO_ERRORS: FieldErrors = new Map();

interface Props {
  settings: Schemas["SettingsOut"];
}

/** The account's settings, editable, saved as one PUT /api/settings (from now on); the API's
 * complaints are shown beside the fields they name. */
export function SettingsForm({ settings: initial }: Props) {
  const [settings, setSettings] = useState(initial);
  const [draft, setDraft] = useState<Draft>(() => draftOf(initial));
  const [saving, setSaving] = useState<Saving>({ state: "editing" });
  const errors = saving.state === "refused" ? saving.errors : NO_ERRORS;
  const change = (next: Partial<Draft>) => setDraft((now) => ({ ...now, ...next }));

  async function save(event: Event) {
    event.preventDefault();
    setSaving({ state: "saving" });
    try {
      const { data, error, response } = await api.PUT("/api/settings", { body: patchOf(draft) });
      if (data) {
        setSettings(data);
        setDraft(draftOf(data));
        setSaving({ state: "saved", at: data.effective_from ?? new Date().toISOString() });
        return;
      }
      const problem = error as Partial<Schemas["Problem"]> | undefined;
      const errors = fieldErrorsOf(problem);
      const said = [problem?.title, problem?.detail, ...unplacedErrors(errors)]
        .filter(Boolean)
        .join(": ");
      const why =
        response.status === 403
          ? "Only an admin of the account changes its settings."
          : said || response.statusText;
      setSaving({ state: "refused", why, errors });
    } catch {
      setSaving({ state: "refused", why: "The API cannot be reached.", errors: NO_ERRORS });
    }
  }

  return (
    <form class="settings" onSubmit={save} noValidate={false}>
      <p class="help">
        Times are {settings.time_zone}'s.{" "}
        {settings.effective_from
          ? `In force since ${moment(settings.effective_from, settings.time_zone)}. `
          : ""}
        A change holds from the moment it is saved.
      </p>
      <section aria-labelledby="automation-title" class="panel">
        <h2 id="automation-title">Automated reminders</h2>
        <AutomationTable
          reminders={draft.reminders}
          errors={errors}
          onChange={(type, next) =>
            setDraft((now) => {
              const reminder = now.reminders[type];
              if (!reminder) return now;
              return { ...now, reminders: { ...now.reminders, [type]: { ...reminder, ...next } } };
            })
          }
        />
      </section>
      <section aria-labelledby="dmo-targets-title" class="panel">
        <h2 id="dmo-targets-title">Daily targets</h2>
        <DmoTargetFields draft={draft} errors={errors} onChange={change} />
      </section>
      <section aria-labelledby="quiet-hours-title" class="panel">
        <h2 id="quiet-hours-title">Quiet hours</h2>
        <p class="help">
          A reminder that would fall due inside them moves to their end (local time).
        </p>
        <QuietHoursFields draft={draft} errors={errors} onChange={change} />
      </section>
      <section aria-labelledby="other-settings-title" class="panel">
        <h2 id="other-settings-title">Other</h2>
        <OtherFields draft={draft} errors={errors} onChange={change} />
      </section>
      <div class="actions">
        <button type="submit" disabled={saving.state === "saving"}>
          {saving.state === "saving" ? "Saving…" : "Save settings"}
        </button>
        <p
          role="status"
          id="settings-status"
          class={saving.state === "refused" ? "problem" : "quiet-text"}
        >
          {saving.state === "saved"
            ? `Saved; in force from ${moment(saving.at, settings.time_zone)}.`
            : ""}
          {saving.state === "refused" ? saving.why : ""}
        </p>
      </div>
    </form>
  );
}
