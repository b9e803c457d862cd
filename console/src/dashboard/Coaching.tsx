import type { Schemas } from "../api/client";

/** Today's coaching prompts: what is left of the method and what is waiting, in words. */
export function Coaching({ items }: { items: readonly Schemas["CoachingPrompt"][] }) {
  if (items.length === 0) return <p id="coaching-empty">No prompt for now.</p>;
  return (
    <ul class="coaching" id="coaching">
      {items.map((item) => (
        <li key={item.kind} data-kind={item.kind}>
          {item.text}
        </li>
      ))}
    </ul>
  );
}
