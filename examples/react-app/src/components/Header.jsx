export function Header({ title, cartCount }) {
  return (
    <header className="site-header">
      <h1>{title}</h1>
      <nav className="site-nav">
        <a href="/">Home</a>
        <a href="/catalogue">Catalogue</a>
        <a href="/help">Help</a>
      </nav>
      <span className="cart" data-testid="cart-count">{`Cart: ${cartCount}`}</span>
    </header>
  );
}
