import { useState } from "preact/hooks";

import { SelectField } from "../layout/SelectField";
import { SORTS, stagesOf, VOCABULARIES, type Vocabulary } from "./stages";

export interface Search {
  q: string;
  vocabulary: Vocabulary;
  status: string;
  sort: string;
}

export const NO_SEARCH: Search = { q: "", vocabulary: "", status: "", sort: "-created_at" };

interface Props {
  search: Search;
  onSearch: (search: Search) => void;
}

/** The search box and the filters GET /api/customers offers; the words are searched when the
 * form is sent, a filter as soon as it is chosen. */
export function CustomerFilters({ search, onSearch }: Props) {
  const [words, setWords] = useState(search.q);
  const choose = (change: Partial<Search>) => onSearch({ ...search, q: words.trim(), ...change });

  return (
    <form
      class="filters"
      role="search"
      onSubmit={(event) => {
        event.preventDefault();
        choose({});
      }}
    >
      <div class="field grow">
        <label for="customer-search">Name, email, phone or handle</label>
        <div class="with-button">
          <input
            id="customer-search"
            type="search"
            maxLength={255}
            value={words}
            onInput={(event) => setWords(event.currentTarget.value)}
          />
          <button type="submit">Search</button>
        </div>
      </div>
      <SelectField
        id="customer-pipeline"
        label="Pipeline"
        value={search.vocabulary}
        options={VOCABULARIES}
        // The stage is a term of the vocabulary: another vocabulary starts without one.
        onChoose={(vocabulary) => choose({ vocabulary, status: "" })}
      />
      <SelectField
        id="customer-stage"
        label="Stage"
        value={search.status}
        options={[["", "Any stage"], ...stagesOf(search.vocabulary)]}
        onChoose={(status) => choose({ status })}
      />
      <SelectField
        id="customer-sort"
        label="Order"
        value={search.sort}
        options={SORTS}
        onChoose={(sort) => choose({ sort })}
      />
    </form>
  );
}
