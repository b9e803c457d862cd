interface Props<V extends string> {
  id: string;
  label: string;
  value: V;
  /** [value, label] of each choice, in the order shown. */
  options: readonly (readonly [V, string])[];
  onChoose: (value: V) => void;
}

/** A labelled choice among fixed values (a filter's, a sort order's). */
export function SelectField<V extends string>({ id, label, value, options, onChoose }: Props<V>) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(event) => onChoose(event.currentTarget.value as V)}>
        {options.map(([option, text]) => (
          <option key={option} value={option}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}
