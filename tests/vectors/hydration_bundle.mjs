// The server bundle of the hydration test vectors (hydration.json, README.md): every component
// renders "<p>" + component + "</p>" except the few that also return hydration data.
const withData = {
  // Lone surrogates cannot travel in JSON or MessagePack props (they are not valid UTF-8), so
  // they come from the bundle: JSON.stringify must write them as \ud800 escapes.
  Surrogate: () => ({ s: '\ud800', t: 'x\udfffy', pair: '\ud83d\ude00' }),
  Data: () => ({ note: '</script><!--<script>', n: 1, list: [true, null] }),
  // Left out of the JSON, as JSON.stringify leaves out any member of these types.
  UndefinedData: () => undefined,
  FunctionData: () => () => 1,
  // JSON.stringify throws on these: the render fails with js_error.
  BigIntData: () => ({ n: 10n }),
  CycleData: () => {
    const a = { name: 'a' };
    a.self = a;
    return a;
  },
};

export function render({ component }) {
  const html = '<p>' + component + '</p>';
  const data = withData[component];
  return data ? { html, data: data() } : html;
}
