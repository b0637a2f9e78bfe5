// Intl formatters shared by the components. The time zone is always explicit:
// the default would be the host's, and SSR output must not depend on it.

export function makeFormatters(locale = 'en-US', currency = 'USD') {
  const money = new Intl.NumberFormat(locale, { style: 'currency', currency });
  const date = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
  const count = new Intl.NumberFormat(locale);
  return {
    price: (value) => money.format(value),
    date: (epochMs) => date.format(new Date(epochMs)),
    count: (value) => count.format(value),
  };
}
