// marked (markdown): GitHub-flavoured markdown with a custom renderer extension and heading ids,
// rendered into a React page (its HTML inserted as is) with a table of contents.
import { renderToString } from 'react-dom/server';
import { Marked } from 'marked';

const slug = (text) => text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '');

function parse(markdown) {
  const toc = [];
  const marked = new Marked({ gfm: true, breaks: false });
  marked.use({
    renderer: {
      heading({ tokens, depth }) {
        const text = this.parser.parseInline(tokens);
        const id = slug(tokens.map((t) => t.raw).join(''));
        toc.push({ id, depth, text: tokens.map((t) => t.raw).join('') });
        return `<h${depth} id="${id}">${text}</h${depth}>\n`;
      },
      link({ href, title, tokens }) {
        const external = /^https?:/.test(href);
        const rel = external ? ' rel="noopener" target="_blank"' : '';
        return `<a href="${href}"${title ? ` title="${title}"` : ''}${rel}>${this.parser.parseInline(tokens)}</a>`;
      },
    },
  });
  return { html: marked.parse(markdown), toc };
}

export function render({ props }) {
  const { html, toc } = parse(props.markdown);
  const page = renderToString(
    <div className="doc">
      <nav>{toc.map((h) => <a key={h.id} href={`#${h.id}`} data-depth={h.depth}>{h.text}</a>)}</nav>
      <div dangerouslySetInnerHTML={{ __html: html }} />
    </div>,
  );
  return { html: page, head: `<title>${toc[0]?.text ?? ''}</title>` };
}
