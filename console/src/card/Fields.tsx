import { useEffect, useState } from "preact/hooks";

import { api, type Schemas } from "../api/client";
import { type Refusal, refusalFor, tried } from "./problems";
import { inputValue, instantOf } from "./time";

type Customer = Schemas["CustomerOut"];
type Patch = Schemas["CustomerPatch"];

interface Field {
  name: string;
  label: string;
  kind?: "text" | "email" | "tel" | "long" | "when";
  read: (customer: Customer, timeZone: string) => string;
  /** The PUT's body for the new value ("" clears the field). */
  patch: (value: string, customer: Customer, timeZone: string) => Patch;
}

const orNull = (value: string) => value.trim() || null;

function plain(name: keyof Patch & keyof Customer, label: string, kind?: Field["kind"]): Field {
  return {
    name,
    label,
    kind,
    read: (customer) => String(customer[name] ?? ""),
    patch: (value) => ({ [name]: orNull(value) }),
  };
}

function handle(platform: "ig" | "whatsapp" | "messenger", label: string): Field {
  return {
    name: `handles.${platform}`,
    label,
    read: (customer) => customer.handles[platform] ?? "",
    // The whole set of handles, so the others are kept as they are.
    patch: (value, customer) => ({ handles: { ...customer.handles, [platform]: orNull(value) } }),
  };
}

const FIELDS: readonly Field[] = [
  plain("name", "Name"),
  plain("email", "Email", "email"),
  plain("phone", "Phone", "tel"),
  handle("ig", "Instagram"),
  handle("whatsapp", "WhatsApp"),
  handle("messenger", "Messenger"),
  plain("country", "Country (ISO code)"),
  plain("language", "Language (ISO code)"),
  plain("source", "Source"),
  plain("prospect_why", "Their Why", "long"),
  plain("next_action", "Next action"),
  {
    name: "next_action_date",
    label: "Next action due",
    kind: "when",
    read: (customer, timeZone) => inputValue(customer.next_action_date, timeZone),
    patch: (value, _, timeZone) => ({ next_action_date: instantOf(value, timeZone) }),
  },
  plain("notes", "Notes", "long"),
];

interface EditorProps {
  field: Field;
  customer: Customer;
  timeZone: string;
  onSaved: (customer: Customer) => void;
}

/** One field of the card, edited in place and saved alone; a refusal shows beside it. */
function FieldEditor({ field, customer, timeZone, onSaved }: EditorProps) {
  const stored = field.read(customer, timeZone);
  const [value, setValue] = useState(stored);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [saving, setSaving] = useState(false);
  // A new card (this field saved, or another): the field shows what is stored now.
  useEffect(() => setValue(stored), [stored]);
  const id = `field-${field.name.replace(".", "-")}`;

  async function save(event: Event) {
    event.preventDefault();
    setSaving(true);
    const answer = await tried(
      api.PUT("/api/customers/{customer_id}", {
        params: { path: { customer_id: customer.id } },
        body: field.patch(value, customer, timeZone),
      }),
    );
    setSaving(false);
    if (!answer.ok) return setRefusal(answer.refusal);
    setRefusal(null);
    onSaved(answer.data);
  }

  const control = {
    id,
    name: field.name,
    value,
    "aria-invalid": refusal ? true : undefined,
    "aria-describedby": `${id}-problem`,
    onInput: (event: Event) => setValue((event.currentTarget as HTMLInputElement).value),
  };
  return (
    <form class="field" data-field={field.name} onSubmit={save}>
      <label for={id}>
        {field.label}
        {field.kind === "when" ? ` (${timeZone})` : null}
      </label>
      {field.kind === "long" ? (
        <textarea rows={3} {...control} />
      ) : (
        <input
          type={field.kind === "when" ? "datetime-local" : (field.kind ?? "text")}
          {...control}
        />
      )}
      <button
        type="submit"
        disabled={saving || value === stored}
        aria-label={`Save ${field.label}`}
      >
        Save
      </button>
      <p class="problem" id={`${id}-problem`} role="alert">
        {refusalFor(refusal, field.name)}
      </p>
    </form>
  );
}

/** The card's own fields, each editable where it is shown. */
export function Fields({ customer, timeZone, onSaved }: Omit<EditorProps, "field">) {
  return (
    <div class="fields">
      {FIELDS.map((field) => (
        <FieldEditor
          key={field.name}
          field={field}
          customer={customer}
          timeZone={timeZone}
          onSaved={onSaved}
        />
      ))}
    </div>
  );
}
