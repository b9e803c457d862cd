import { useState } from "preact/hooks";

import { api, type Schemas } from "../api/client";
import { moment } from "../dashboard/format";
import { type Refusal, refusalFor, tried } from "./problems";

type Interaction = Schemas["Interaction"];
type Kind = Schemas["InteractionType"];
type Call = Promise<{ data?: unknown; error?: unknown; response: Response }>;

const KINDS: readonly Kind[] = ["note", "call", "email", "meeting", "message", "reminder"];

interface FormProps {
  id: string;
  /** Focus the words at once (an edit the person just asked for). */
  focus?: boolean;
  kind: Kind;
  content: string;
  submit: string;
  onSubmit: (kind: Kind, content: string) => Promise<Refusal | null>;
  onCancel?: () => void;
}

/** An interaction's kind and words: a new one (emptied once added), or one being edited. */
function InteractionForm({ id, focus, submit, onSubmit, onCancel, ...was }: FormProps) {
  const [kind, setKind] = useState(was.kind);
  const [content, setContent] = useState(was.content);
  const [refusal, setRefusal] = useState<Refusal | null>(null);

  async function send(event: Event) {
    event.preventDefault();
    const refused = await onSubmit(kind, content);
    setRefusal(refused);
    if (!refused && !onCancel) setContent("");
  }

  return (
    <form class="interaction-form" onSubmit={send}>
      <label for={`${id}-type`}>Kind</label>
      <select
        id={`${id}-type`}
        value={kind}
        onChange={(event) => setKind(event.currentTarget.value as Kind)}
      >
        {KINDS.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
      <label for={`${id}-content`}>What happened</label>
      <textarea
        id={`${id}-content`}
        rows={2}
        required
        autoFocus={focus}
        value={content}
        onInput={(event) => setContent(event.currentTarget.value)}
      />
      <div class="actions">
        <button type="submit">{submit}</button>
        {onCancel ? (
          <button type="button" class="quiet" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
      <p class="problem" role="alert">
        {refusalFor(refusal, "content")}
      </p>
    </form>
  );
}

interface Props {
  customerId: string;
  items: readonly Interaction[];
  timeZone: string;
  onChanged: () => void;
}

/** What happened with the customer, newest first: added, corrected or taken back here. */
export function Interactions({ customerId, items, timeZone, onChanged }: Props) {
  const [editing, setEditing] = useState<string | null>(null);
  const [refusal, setRefusal] = useState<Refusal | null>(null);

  async function changed(call: Call): Promise<Refusal | null> {
    const answer = await tried(call);
    if (!answer.ok) return answer.refusal;
    setEditing(null);
    onChanged();
    return null;
  }

  const add = (type: Kind, content: string) => {
    const body = { customer_id: customerId, type, content, completed: false };
    return changed(api.POST("/api/interactions", { body }));
  };
  const edit = (id: string) => (type: Kind, content: string) => {
    const params = { path: { interaction_id: id } };
    const body = { type, content };
    return changed(api.PUT("/api/interactions/{interaction_id}", { params, body }));
  };
  const remove = async (id: string) => {
    const params = { path: { interaction_id: id } };
    setRefusal(await changed(api.DELETE("/api/interactions/{interaction_id}", { params })));
  };

  return (
    <>
      <InteractionForm
        id="new-interaction"
        kind="note"
        content=""
        submit="Add interaction"
        onSubmit={add}
      />
      {items.length === 0 ? <p>Nothing logged yet.</p> : null}
      <ul class="interactions" id="interactions">
        {items.map((item) => (
          <li key={item.id} data-interaction-id={item.id}>
            {editing === item.id ? (
              <InteractionForm
                id={`edit-${item.id}`}
                focus
                kind={item.type}
                content={item.content ?? ""}
                submit="Save interaction"
                onSubmit={edit(item.id)}
                onCancel={() => setEditing(null)}
              />
            ) : (
              <>
                <div class="what">
                  <span class="badge low">{item.type}</span>{" "}
                  <span class="content">{item.content}</span>
                </div>
                <div class="when">
                  <time dateTime={item.occurred_at}>{moment(item.occurred_at, timeZone)}</time>
                </div>
                <div class="actions">
                  <button
                    type="button"
                    class="quiet"
                    aria-label={`Edit the ${item.type}`}
                    onClick={() => setEditing(item.id)}
                  >
                    Edit
                  </button>
                  <button
                    type="button"
                    class="quiet"
                    aria-label={`Delete the ${item.type}`}
                    onClick={() => void remove(item.id)}
                  >
                    Delete
                  </button>
                </div>
              </>
            )}
          </li>
        ))}
      </ul>
      <p class="problem" role="alert">
        {refusal?.says ?? ""}
      </p>
    </>
  );
}
