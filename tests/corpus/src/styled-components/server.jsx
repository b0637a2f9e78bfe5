// styled-components: a ServerStyleSheet collects the rules of one render, and its style tags
// go into the reply's head; theme, props-based rules, attrs, css helper and a global style.
import { renderToString } from 'react-dom/server';
import styled, { ServerStyleSheet, ThemeProvider, createGlobalStyle, css } from 'styled-components';

const Global = createGlobalStyle`body { margin: 0; color: ${(p) => p.theme.text}; }`;
const Button = styled.button.attrs({ type: 'button' })`
  padding: 4px;
  ${(p) => p.$primary && css`background: ${p.theme.accent}; color: white;`}
`;
const Title = styled.h1`font-size: ${(p) => p.$size}px; &:hover { text-decoration: underline; }`;

export function render({ props }) {
  const sheet = new ServerStyleSheet();
  try {
    const html = renderToString(sheet.collectStyles(
      <ThemeProvider theme={props.theme}>
        <Global />
        <Title $size={props.size}>{props.title}</Title>
        <Button $primary>Buy</Button><Button>Later</Button>
      </ThemeProvider>,
    ));
    return { html, head: sheet.getStyleTags() };
  } finally {
    sheet.seal();
  }
}
