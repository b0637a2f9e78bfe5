// i18next + react-i18next: one i18next instance per render (the server's documented pattern),
// plurals from Intl.PluralRules, numbers, dates and lists from Intl formatters with an explicit
// time zone, nesting, context, and <Trans> with markup inside a translation.
import { renderToString } from 'react-dom/server';
import { createInstance } from 'i18next';
import { I18nextProvider, Trans, initReactI18next, useTranslation } from 'react-i18next';

const resources = {
  en: { shop: {
    title: 'Welcome, {{name}}',
    items_one: '{{count}} item', items_other: '{{count}} items',
    price: 'Total: {{value, currency(EUR)}}',
    when: 'Ordered {{date, datetime(dateStyle: long; timeZone: UTC)}}',
    tags: 'Tags: {{list, list(type: conjunction)}}',
    friend_male: 'his order', friend_female: 'her order',
    nested: 'See $t(shop:title)',
    rich: 'Read the <1>terms</1> before <3>{{action}}</3>.',
  } },
  pl: { shop: {
    title: 'Witaj, {{name}}',
    items_one: '{{count}} przedmiot', items_few: '{{count}} przedmioty', items_many: '{{count}} przedmiotów',
    items_other: '{{count}} przedmiotu',
    price: 'Razem: {{value, currency(EUR)}}',
    when: 'Zamówiono {{date, datetime(dateStyle: long; timeZone: UTC)}}',
    tags: 'Tagi: {{list, list(type: conjunction)}}',
    friend_male: 'jego zamówienie', friend_female: 'jej zamówienie',
    nested: 'Zobacz $t(shop:title)',
    rich: 'Przeczytaj <1>regulamin</1> przed <3>{{action}}</3>.',
  } },
};

function Page({ name, counts, total, date, tags, gender, action }) {
  const { t, i18n } = useTranslation('shop');
  return (
    <section lang={i18n.language}>
      <h1>{t('title', { name })}</h1>
      <ul>{counts.map((count) => <li key={count}>{t('items', { count })}</li>)}</ul>
      <p>{t('price', { value: total })}</p>
      <p>{t('when', { date: new Date(date) })}</p>
      <p>{t('tags', { list: tags })}</p>
      <p>{t('friend', { context: gender })} · {t('nested', { name })}</p>
      <p><Trans i18nKey="rich" t={t} values={{ action }} components={{ 1: <a href="/terms" />, 3: <b /> }} /></p>
    </section>
  );
}

export function render({ props }) {
  const i18n = createInstance();
  i18n.use(initReactI18next).init({
    lng: props.lang, fallbackLng: 'en', ns: ['shop'], defaultNS: 'shop', resources,
    initAsync: false, interpolation: { escapeValue: false }, showSupportNotice: false,
  });
  const html = renderToString(<I18nextProvider i18n={i18n}><Page {...props} /></I18nextProvider>);
  return { html, head: `<meta http-equiv="content-language" content="${i18n.language}">` };
}
