export function Rating({ value, reviews, fmt }) {
  const full = Math.round(value);
  const stars = '\u2605'.repeat(full) + '\u2606'.repeat(5 - full);
  return (
    <p className="rating">
      <span className="stars" aria-label={`Rated ${value.toFixed(1)} out of 5`}>{stars}</span>
      <span className="reviews">{`(${fmt.count(reviews)} reviews)`}</span>
    </p>
  );
}
