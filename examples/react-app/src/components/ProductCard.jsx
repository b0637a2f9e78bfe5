import { AddToCartButton } from './AddToCartButton.jsx';
import { Price } from './Price.jsx';
import { Rating } from './Rating.jsx';

export function ProductCard({ product, fmt, onAdd }) {
  const { sku, name, price, rating, reviews, releasedAt, tags } = product;
  return (
    <article className="product-card" data-sku={sku}>
      <h2>{name}</h2>
      <Price value={price} fmt={fmt} />
      <Rating value={rating} reviews={reviews} fmt={fmt} />
      <p className="released">
        {'Released '}
        <time dateTime={new Date(releasedAt).toISOString().slice(0, 10)}>{fmt.date(releasedAt)}</time>
      </p>
      <ul className="tags">
        {tags.map((tag) => (
          <li key={tag}>{tag}</li>
        ))}
      </ul>
      <AddToCartButton sku={sku} onAdd={onAdd} />
    </article>
  );
}
