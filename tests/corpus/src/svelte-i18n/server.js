// svelte-i18n: ICU messages (intl-messageformat: plurals, select, numbers, dates with a time
// zone) through its $_ / $date / $number stores in a Svelte 5 component rendered on the
// server. Its locale is one store for the module, set before each (synchronous) render.
import { render as renderSvelte } from 'svelte/server';
import { addMessages, init, locale } from 'svelte-i18n';
import Page from './Page.svelte';

addMessages('en', {
  greeting: 'Hello {name}!',
  cart: '{count, plural, =0 {Your cart is empty} one {One item in your cart} other {# items in your cart}}',
  gift: '{gender, select, female {She} male {He} other {They}} sent a gift worth {price, number, ::currency/EUR}',
  shipped: 'Shipped on {when, date, long}',
});
addMessages('fr', {
  greeting: 'Bonjour {name} !',
  cart: '{count, plural, =0 {Votre panier est vide} one {Un article dans votre panier} other {# articles dans votre panier}}',
  gift: '{gender, select, female {Elle a} male {Il a} other {Ils ont}} envoyé un cadeau de {price, number, ::currency/EUR}',
  shipped: 'Expédié le {when, date, long}',
});
init({ fallbackLocale: 'en', initialLocale: 'en', formats: { date: { long: { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' } } } });

export function render({ props }) {
  locale.set(props.lang);
  const { body, head } = renderSvelte(Page, { props });
  return { html: body, head };
}
