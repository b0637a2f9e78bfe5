export function Price({ value, fmt }) {
  return (
    <p className="price">
      <data value={value.toFixed(2)}>{fmt.price(value)}</data>
    </p>
  );
}
