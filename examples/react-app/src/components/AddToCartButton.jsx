import { useState } from 'react';

// The one piece of client state on a card: a browser test clicks it to prove
// the page hydrated (the server markup alone cannot change its label).
export function AddToCartButton({ sku, onAdd }) {
  const [added, setAdded] = useState(0);
  return (
    <button
      type="button"
      className="add-to-cart"
      data-testid={`add-${sku}`}
      onClick={() => {
        setAdded(added + 1);
        onAdd();
      }}
    >
      {added === 0 ? 'Add to cart' : `In cart: ${added}`}
    </button>
  );
}
