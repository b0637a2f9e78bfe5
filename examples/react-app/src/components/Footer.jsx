export function Footer({ total, currency, fmt }) {
  return (
    <footer className="site-footer">
      <p>{`${fmt.count(total)} products \u00b7 prices in ${currency}`}</p>
      <p className="copyright">{'\u00a9 2025 Example Store'}</p>
    </footer>
  );
}
