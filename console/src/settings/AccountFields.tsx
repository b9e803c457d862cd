import { type Draft, errorOf, type FieldErrors } from "./draft";
import { Field } from "./Field";

interface Props {
  draft: Draft;
  errors: FieldErrors;
  onChange: (change: Partial<Draft>) => void;
}

type TextKey = Exclude<keyof Draft, "reminders" | "quietHours">;

interface InputProps extends Props {
  id: string;
  label: string;
  /** The field's path in the PUT body, as the API names it in its errors. */
  path: string;
  name: TextKey;
  type: "number" | "time" | "text";
  help?: string;
  maxLength?: number;
}

/** One of the account's settings as a labelled input, its error beside it. */
function SettingInput(props: InputProps) {
  const { draft, errors, onChange, id, label, path, name, type, help, maxLength } = props;
  const numeric = type === "number" ? { inputMode: "numeric" as const, min: 0, max: 10_000 } : {};
  return (
    <Field id={id} label={label} error={errorOf(errors, path)} {...(help ? { help } : {})}>
      {(described) => (
        <input
          id={id}
          type={type}
          required
          autoComplete="off"
          spellcheck={false}
          maxLength={maxLength}
          value={draft[name]}
          onInput={(event) => onChange({ [name]: event.currentTarget.value })}
          {...numeric}
          {...described}
        />
      )}
    </Field>
  );
}

/** The DMO's daily targets. */
export function DmoTargetFields(props: Props) {
  return (
    <div class="field-row">
      <SettingInput {...props} id="dmo-invites" label="Invites a day" path="dmo_targets.invites"
        name="invites" type="number" />
      <SettingInput {...props} id="dmo-follow-ups" label="Follow-ups a day"
        path="dmo_targets.follow_ups" name="followUps" type="number" />
    </div>
  );
}

/** The quiet hours (local, [start, end), may cross midnight), or none. */
export function QuietHoursFields(props: Props) {
  const { draft, onChange } = props;
  return (
    <>
      <div class="check">
        <input
          id="quiet-hours-on"
          type="checkbox"
          checked={draft.quietHours}
          onChange={(event) => onChange({ quietHours: event.currentTarget.checked })}
        />
        <label for="quiet-hours-on">Keep quiet hours</label>
      </div>
      {draft.quietHours ? (
        <div class="field-row">
          <SettingInput {...props} id="quiet-start" label="Quiet from" path="quiet_hours.0"
            name="quietStart" type="time" />
          <SettingInput {...props} id="quiet-end" label="Until" path="quiet_hours.1"
            name="quietEnd" type="time" />
        </div>
      ) : null}
    </>
  );
}

/** When a due reminder counts as overdue, and the region of phone numbers without a +. */
export function OtherFields(props: Props) {
  return (
    <div class="field-row">
      <SettingInput {...props} id="overdue-grace" label="Overdue after" path="overdue_grace"
        name="overdueGrace" type="text" help="ISO 8601 duration, 0 to 7 days: PT1H is an hour." />
      <SettingInput {...props} id="default-region" label="Phone region" path="default_region"
        name="defaultRegion" type="text" maxLength={2} help="Two letters (ISO 3166), e.g. NO." />
    </div>
  );
}
