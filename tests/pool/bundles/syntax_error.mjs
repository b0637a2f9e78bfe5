// FAKE_BUNDLE_ERROR (tells the fake worker to report what the real one finds below)
export function render({component, props} {
  return "<p>";
}
