import { useState } from 'react';
import { Head, useSsrd } from '@ssrd/react';

// The checklist page every example app has (examples/vue-app, svelte-app, preact-app): state
// (the items, the draft), a list, a form control and head tags. Props: {title, items: [{id,
// text, done}]}; without items the list does not exist and the page is a 404.
export function Checklist({ title = 'Checklist', items: initial }) {
  const ssr = useSsrd();
  if (!initial) ssr?.setStatus(404);
  const [items, setItems] = useState(() => (initial ?? []).map((item) => ({ ...item })));
  const [draft, setDraft] = useState('');
  const left = items.filter((item) => !item.done).length;

  const toggle = (id) => setItems(items.map((item) => (item.id === id ? { ...item, done: !item.done } : item)));
  const add = (event) => {
    event.preventDefault();
    const text = draft.trim();
    if (!text) return;
    setItems([...items, { id: items.length + 1, text, done: false }]);
    setDraft('');
  };

  return (
    <section className="checklist" data-framework="react">
      <Head>
        <title>{title}</title>
        <meta name="description" content={`${items.length} items, ${left} left`} />
      </Head>
      <h1>{title}</h1>
      {!initial ? (
        <p className="missing">No such list.</p>
      ) : (
        <>
          <p data-testid="summary">{`${left} of ${items.length} left`}</p>
          <ul data-testid="items">
            {items.map((item) => (
              <li key={item.id}>
                <label>
                  <input type="checkbox" checked={item.done} onChange={() => toggle(item.id)} data-testid={`item-${item.id}`} />
                  {item.text}
                </label>
              </li>
            ))}
          </ul>
          <form data-testid="add-form" onSubmit={add}>
            <input value={draft} onChange={(event) => setDraft(event.target.value)} name="text" data-testid="new-item" placeholder="New item" />
            <button type="submit" data-testid="add">Add</button>
          </form>
        </>
      )}
    </section>
  );
}
