import {
  type Automated,
  AUTOMATED,
  type Draft,
  errorOf,
  type FieldErrors,
  type ReminderDraft,
} from "./draft";
import { Field } from "./Field";

// What makes each automated reminder (the rules table, DOMAIN.md), as a person says it.
const RULES: Record<Automated, { title: string; trigger: string }> = {
  follow_up_2h: { title: "Follow up (2 hours)", trigger: "after a no-show" },
  follow_up_1d: { title: "Follow up (1 day)", trigger: "after a no-show" },
  follow_up_24h: { title: "Follow up (24 hours)", trigger: "after a video is sent" },
  follow_up_48h: { title: "Follow up (48 hours)", trigger: "after a video or presentation" },
  follow_up_7d: { title: "Reconnect (7 days)", trigger: "after the last activity" },
};

interface Props {
  reminders: Draft["reminders"];
  errors: FieldErrors;
  onChange: (type: Automated, change: Partial<ReminderDraft>) => void;
}

/** The automated reminders: each one on or off, how long after its trigger, and its message. */
export function AutomationTable({ reminders, errors, onChange }: Props) {
  return (
    <div class="automation">
      {AUTOMATED.map((type) => {
        const reminder = reminders[type];
        if (!reminder) return null;
        const id = `reminder-${type}`;
        const path = `reminders.${type}`;
        return (
          <fieldset key={type} id={id} class="reminder-setting">
            <legend>
              {RULES[type].title}, {RULES[type].trigger}
            </legend>
            <div class="check">
              <input
                id={`${id}-enabled`}
                type="checkbox"
                checked={reminder.enabled}
                onChange={(event) => onChange(type, { enabled: event.currentTarget.checked })}
              />
              <label for={`${id}-enabled`}>Make this reminder</label>
            </div>
            <Field
              id={`${id}-delay`}
              label="Delay"
              help="ISO 8601 duration, 5 minutes to 30 days: PT2H is 2 hours, P1D a day."
              error={errorOf(errors, `${path}.delay`)}
            >
              {(described) => (
                <input
                  id={`${id}-delay`}
                  type="text"
                  required
                  spellcheck={false}
                  autoComplete="off"
                  value={reminder.delay}
                  onInput={(event) => onChange(type, { delay: event.currentTarget.value })}
                  {...described}
                />
              )}
            </Field>
            <Field
              id={`${id}-message`}
              label="Message"
              help="Empty: the standard message."
              error={errorOf(errors, `${path}.message`)}
            >
              {(described) => (
                <input
                  id={`${id}-message`}
                  type="text"
                  maxLength={500}
                  value={reminder.message}
                  onInput={(event) => onChange(type, { message: event.currentTarget.value })}
                  {...described}
                />
              )}
            </Field>
            {errorOf(errors, `${path}.enabled`) ? (
              <p class="problem field-error">{errorOf(errors, `${path}.enabled`)}</p>
            ) : null}
          </fieldset>
        );
      })}
    </div>
  );
}
