// The settings form's contents: the account's settings as the fields hold them (text, as
// typed), and the PUT /api/settings body they make. The API checks every value (delays of 5
// minutes to 30 days, HH:MM, targets of 0 to 10,000, ...) and names the fields it refuses.

import type { Schemas } from "../api/client";

export const AUTOMATED = [
  "follow_up_2h",
  "follow_up_1d",
  "follow_up_24h",
  "follow_up_48h",
  "follow_up_7d",
] as const;
export type Automated = (typeof AUTOMATED)[number];

export interface ReminderDraft {
  enabled: boolean;
  delay: string;
  message: string;
}

export interface Draft {
  reminders: Partial<Record<Automated, ReminderDraft>>;
  invites: string;
  followUps: string;
  quietHours: boolean;
  quietStart: string;
  quietEnd: string;
  overdueGrace: string;
  defaultRegion: string;
}

export function draftOf(settings: Schemas["SettingsOut"]): Draft {
  const reminders: Draft["reminders"] = {};
  for (const type of AUTOMATED) {
    const setting = settings.reminders?.[type];
    if (setting) {
      reminders[type] = {
        enabled: setting.enabled ?? true,
        delay: setting.delay,
        message: setting.message ?? "",
      };
    }
  }
  const [quietStart, quietEnd] = settings.quiet_hours ?? [];
  return {
    reminders,
    invites: String(settings.dmo_targets?.invites ?? ""),
    followUps: String(settings.dmo_targets?.follow_ups ?? ""),
    quietHours: settings.quiet_hours != null,
    quietStart: quietStart ?? "22:00",
    quietEnd: quietEnd ?? "08:00",
    overdueGrace: settings.overdue_grace ?? "",
    defaultRegion: settings.default_region ?? "",
  };
}

/** The whole form as one change; an empty message is the rules' own default message. */
export function patchOf(draft: Draft): Schemas["SettingsPatch"] {
  const reminders: Schemas["RemindersPatch"] = {};
  for (const type of AUTOMATED) {
    const reminder = draft.reminders[type];
    if (reminder) {
      const message = reminder.message.trim();
      const delay = reminder.delay.trim();
      reminders[type] = { enabled: reminder.enabled, delay, message: message || null };
    }
  }
  return {
    reminders,
    dmo_targets: { invites: Number(draft.invites), follow_ups: Number(draft.followUps) },
    quiet_hours: draft.quietHours ? [draft.quietStart, draft.quietEnd] : null,
    overdue_grace: draft.overdueGrace.trim(),
    default_region: draft.defaultRegion.trim().toUpperCase(),
  };
}

/** A problem's field errors by the field's path in the body ("reminders.follow_up_2h.delay"). */
export type FieldErrors = ReadonlyMap<string, string>;

export function fieldErrorsOf(problem: Partial<Schemas["Problem"]> | undefined): FieldErrors {
  const errors = new Map<string, string>();
  for (const error of problem?.errors ?? []) {
    const path = error.loc.filter((part, index) => !(index === 0 && part === "body")).join(".");
    errors.set(path, errors.has(path) ? `${errors.get(path)}; ${error.msg}` : error.msg);
  }
  return errors;
}

/** Every field's path in the PUT body, as the form places the API's errors. */
export const FIELD_PATHS: readonly string[] = [
  ...AUTOMATED.flatMap((type) =>
    ["enabled", "delay", "message"].map((part) => `reminders.${type}.${part}`),
  ),
  "dmo_targets.invites",
  "dmo_targets.follow_ups",
  "quiet_hours.0",
  "quiet_hours.1",
  "overdue_grace",
  "default_region",
];

/** The errors no field of the form shows (one about the quiet hours as a whole, say). */
export function unplacedErrors(errors: FieldErrors): string[] {
  const placed = (path: string) =>
    FIELD_PATHS.some((field) => path === field || path.startsWith(`${field}.`));
  return [...errors]
    .filter(([path]) => !placed(path))
    .map(([path, message]) => `${path}: ${message}`);
}

/** The errors of a field and of anything inside it. */
export function errorOf(errors: FieldErrors, field: string): string | undefined {
  const found = [...errors].filter(([path]) => path === field || path.startsWith(`${field}.`));
  return found.length > 0 ? found.map(([, message]) => message).join("; ") : undefined;
}
