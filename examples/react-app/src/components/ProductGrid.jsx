import { ProductCard } from './ProductCard.jsx';

export function ProductGrid({ products, fmt, onAdd }) {
  if (products.length === 0) {
    return <p className="empty">No products match this filter.</p>;
  }
  return (
    <div className="product-grid">
      {products.map((product) => (
        <ProductCard key={product.sku} product={product} fmt={fmt} onAdd={onAdd} />
      ))}
    </div>
  );
}
