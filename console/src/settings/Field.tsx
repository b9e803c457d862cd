import type { ComponentChildren } from "preact";

interface Props {
  id: string;
  label: string;
  error?: string | undefined;
  help?: string;
  children: (described: Described) => ComponentChildren;
}

/** What the control takes to name its help and error, and to say that it was refused. */
interface Described {
  "aria-describedby"?: string;
  "aria-invalid"?: boolean;
}

/** One labelled control, with its help and the API's complaint about it beside it. */
export function Field({ id, label, error, help, children }: Props) {
  const notes = [help ? `${id}-help` : "", error ? `${id}-error` : ""];
  const described = notes.filter(Boolean).join(" ");
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children({
        ...(described ? { "aria-describedby": described } : {}),
        ...(error ? { "aria-invalid": true } : {}),
      })}
      {help ? (
        <p class="help" id={`${id}-help`}>
          {help}
        </p>
      ) : null}
      {error ? (
        <p class="problem field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}
