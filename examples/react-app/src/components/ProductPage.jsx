import { useState } from 'react';
import { Head } from '@ssrd/react';
import { makeProducts, TAGS } from '../data/products.js';
import { makeFormatters } from '../format.js';
import { FilterBar } from './FilterBar.jsx';
import { Footer } from './Footer.jsx';
import { Header } from './Header.jsx';
import { ProductGrid } from './ProductGrid.jsx';

const DEFAULT_TITLE = 'Catalogue';

// The page's <h1> and the <title> in the reply's head.
export function pageTitle(props) {
  return props.title || DEFAULT_TITLE;
}

function tagCounts(products) {
  return TAGS.map((tag) => ({
    tag,
    count: products.filter((p) => p.tags.includes(tag)).length,
  })).filter(({ count }) => count > 0);
}

// Props: {title, locale, currency, count, seed, products}. The items are
// generated from (count, seed) so a request stays small; an explicit
// `products` array wins when given.
export function ProductPage(props) {
  const { locale = 'en-US', currency = 'USD', count = 300, seed = 1, products } = props;
  const items = Array.isArray(products) ? products : makeProducts(count, seed);
  const fmt = makeFormatters(locale, currency);
  const [cartCount, setCartCount] = useState(0);
  const [activeTag, setActiveTag] = useState(null);
  const visible = activeTag === null ? items : items.filter((p) => p.tags.includes(activeTag));

  return (
    <div className="product-page">
      <Head>
        <title>{pageTitle(props)}</title>
      </Head>
      <Header title={pageTitle(props)} cartCount={cartCount} />
      <main>
        <FilterBar
          tags={tagCounts(items)}
          activeTag={activeTag}
          onSelect={setActiveTag}
          total={items.length}
          visible={visible.length}
          fmt={fmt}
        />
        <ProductGrid products={visible} fmt={fmt} onAdd={() => setCartCount((n) => n + 1)} />
      </main>
      <Footer total={items.length} currency={currency} fmt={fmt} />
    </div>
  );
}
