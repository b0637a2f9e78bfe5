// Deterministic product data: the same (count, seed) gives the same items on
// every machine, so the rendered HTML can be compared byte for byte against
// expected/. No Math.random and no clock.

const ADJECTIVES = [
  'Compact', 'Classic', 'Rugged', 'Silent', 'Smart', 'Portable', 'Deluxe',
  'Vintage', 'Modular', 'Solar', 'Wireless', 'Ergonomic', 'Foldable', 'Bold',
];
const NOUNS = [
  'Kettle', 'Lamp', 'Backpack', 'Headphones', 'Chair', 'Notebook', 'Speaker',
  'Blender', 'Jacket', 'Watch', 'Tent', 'Bottle', 'Keyboard', 'Camera',
];
export const TAGS = [
  'new', 'sale', 'eco', 'bestseller', 'outdoor', 'kitchen', 'office', 'gift',
];

// 2020-01-01T00:00:00Z; release dates are whole days after it.
const EPOCH_MS = 1577836800000;
const DAY_MS = 86400000;

// 32-bit LCG (Numerical Recipes constants). Math.imul keeps the product exact.
function makeRandom(seed) {
  let state = seed >>> 0;
  return function next(limit) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    // The high bits of an LCG are the well-mixed ones.
    return Math.floor((state / 4294967296) * limit);
  };
}

export function makeProducts(count = 300, seed = 1) {
  const next = makeRandom(seed);
  const products = [];
  for (let i = 0; i < count; i++) {
    const name = `${ADJECTIVES[next(ADJECTIVES.length)]} ${NOUNS[next(NOUNS.length)]}`;
    const priceCents = 499 + next(49500);
    const ratingTenths = 10 + next(41); // 1.0 .. 5.0
    const releasedAt = EPOCH_MS + next(1500) * DAY_MS;
    const tagCount = 1 + next(3);
    const tags = [];
    while (tags.length < tagCount) {
      const tag = TAGS[next(TAGS.length)];
      if (!tags.includes(tag)) tags.push(tag);
    }
    products.push({
      id: i + 1,
      sku: `SKU-${String(seed).padStart(3, '0')}-${String(i + 1).padStart(5, '0')}`,
      name,
      price: priceCents / 100,
      rating: ratingTenths / 10,
      reviews: next(2000),
      releasedAt,
      tags,
    });
  }
  return products;
}
