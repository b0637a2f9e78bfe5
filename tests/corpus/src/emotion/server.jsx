/** @jsxImportSource @emotion/react */
// Emotion (CSS-in-JS): the css prop, styled components' keyframes, Global and a cache of our
// own key. On the server Emotion writes each rule as a <style data-emotion> element just before
// the element that needs it, which the client moves into the head when it hydrates.
import { renderToString } from 'react-dom/server';
import createCache from '@emotion/cache';
import { CacheProvider, Global, css, keyframes, ThemeProvider, useTheme } from '@emotion/react';

const spin = keyframes`from { transform: rotate(0deg); } to { transform: rotate(360deg); }`;
const card = (accent) => css`
  border: 1px solid ${accent};
  padding: 4px 8px;
  &:hover { color: ${accent}; }
  @media (min-width: 600px) { display: flex; }
`;

function Price({ amount, currency }) {
  const theme = useTheme();
  const text = new Intl.NumberFormat('de-DE', { style: 'currency', currency }).format(amount);
  return <strong css={{ color: theme.price, animation: `${spin} 1s linear` }}>{text}</strong>;
}

function Card({ name, amount, accent }) {
  return (
    <div css={card(accent)}>
      <span css={{ fontWeight: 700, '&::after': { content: '"→"' } }}>{name}</span>
      <Price amount={amount} currency="EUR" />
    </div>
  );
}

export function render({ props }) {
  const cache = createCache({ key: 'shop' });
  const html = renderToString(
    <CacheProvider value={cache}>
      <ThemeProvider theme={{ price: props.priceColor }}>
        <Global styles={{ body: { margin: 0, fontFamily: 'sans-serif' } }} />
        {props.items.map((item) => <Card key={item.name} {...item} accent={props.accent} />)}
      </ThemeProvider>
    </CacheProvider>,
  );
  return { html, head: '' };
}
