// The part of a render that components reach through the adapter's helpers: the request, the
// status, extra head markup and the hydration data. One object per render, never shared.
// (Canonical copy in adapters/shared/: `npm run sync-shared` copies it into each package.)

const REDIRECT_CODES = [301, 302, 303, 307, 308];

export function escapeHtml(text) {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

// The error the worker answers as `not_found` (docs/protocol.md): the bundle has no such component.
export function notFound(name) {
  const error = new Error(`unknown component "${name}"`);
  error.code = 'not_found';
  return error;
}

// components: a map {Name: Component} (own properties only, so "constructor" or "__proto__" is
// never a component) or a resolver (name) => Component | undefined | Promise of either.
// Returns the component, or a promise of it when the resolver gave one (a module from a lazy
// import() counts as its default export); throws not_found.
export function resolveComponent(components, name) {
  if (typeof components === 'function') {
    const found = components(name);
    if (found && typeof found.then === 'function') {
      return found.then((loaded) => {
        const component = loaded && (loaded.default ?? loaded);
        if (!component) throw notFound(name);
        return component;
      });
    }
    if (!found) throw notFound(name);
    return found;
  }
  const component = Object.prototype.hasOwnProperty.call(components, name) ? components[name] : undefined;
  if (!component) throw notFound(name);
  return component;
}

// options.stream: true makes render return the framework's stream as html (see
// ServerContext.streamResult); anything but a boolean is a mistake worth failing the bundle's
// load for. Returns whether to stream.
export function streamOption(options) {
  const stream = options ? options.stream : undefined;
  if (stream !== undefined && typeof stream !== 'boolean') {
    throw new TypeError(`ssrd adapters: stream must be true or false, got ${typeof stream}`);
  }
  return stream === true;
}

// The nonce of the inline <script>s a streaming renderer writes (React's late Suspense
// boundaries, Preact's islands), so that a page under a nonce CSP runs them: request.nonce (the
// daemon passes the request's `nonce` to render), unless options.nonce, a string or
// (request) => string, says otherwise.
export function nonceFor(options, request) {
  let nonce = request.nonce;
  if (options.nonce !== undefined) nonce = typeof options.nonce === 'function' ? options.nonce(request) : options.nonce;
  return nonce == null || nonce === '' ? undefined : String(nonce);
}

// A ReadableStream of one chunk: the page, for a framework without a streaming renderer.
export function streamOf(html) {
  return new ReadableStream({
    start(controller) {
      if (html !== '') controller.enqueue(html);
      controller.close();
    },
  });
}

// A tag for each entry of {title, meta: [{name, content}], link: [{rel, href}]}, escaped.
export function headTags({ title, meta = [], link = [] } = {}) {
  const attributes = (attrs) =>
    Object.keys(attrs)
      .filter((name) => attrs[name] != null && attrs[name] !== false)
      .map((name) => (attrs[name] === true ? ` ${name}` : ` ${name}="${escapeHtml(attrs[name])}"`))
      .join('');
  let tags = title == null ? '' : `<title>${escapeHtml(title)}</title>`;
  for (const attrs of meta) tags += `<meta${attributes(attrs)}>`;
  for (const attrs of link) tags += `<link${attributes(attrs)}>`;
  return tags;
}

// One render's context. A class rather than an object of closures: a render makes one small
// object, its methods are shared. renderHeadNode: for React and Preact, turns what a <Head>
// collected into markup; it runs after the page's own render, never inside it.
class ServerContext {
  constructor(request, renderHeadNode) {
    this.request = request;
    this.status = 200;
    this.location = null;
    this.head = []; // markup strings, or nodes for renderHeadNode
    this.hasData = false;
    this.data = undefined;
    this.renderHeadNode = renderHeadNode;
  }

  setStatus(code) {
    if (!Number.isInteger(code) || code < 100 || code > 999) {
      throw new RangeError(`ssrd: status must be an integer from 100 to 999, got ${code}`);
    }
    this.status = code;
  }

  // The reply has no headers: the status goes back as is, and the target is written into the
  // head as a meta refresh, which a browser follows whatever the backend does with the status.
  redirect(to, code = 302) {
    if (!REDIRECT_CODES.includes(code)) {
      throw new RangeError(`ssrd: a redirect status is one of ${REDIRECT_CODES.join(', ')}, got ${code}`);
    }
    this.status = code;
    this.location = String(to);
    this.head.push(`<meta http-equiv="refresh" content="0; url=${escapeHtml(this.location)}">`);
  }

  setData(value) {
    this.data = value;
    this.hasData = true;
  }

  // Trusted markup for <head>: the adapters' head helpers escape what they write.
  addHead(markup) {
    this.head.push(String(markup));
  }

  addHeadNode(node) {
    this.head.push({ node });
  }

  // The value render() returns: {html, head, status} and data when a component set some.
  // frameworkHead (Svelte's <svelte:head>, Vue's teleports to "head") comes first.
  result(html, frameworkHead = '') {
    const reply = { html, head: this.headMarkup(frameworkHead), status: this.status };
    if (this.hasData) reply.data = this.data;
    return reply;
  }

  headMarkup(frameworkHead) {
    let markup = frameworkHead;
    for (const entry of this.head) markup += typeof entry === 'string' ? entry : this.renderHeadNode(entry.node);
    return markup;
  }

  // The value a streaming render returns: html is the framework's stream; head, status and data
  // are getters, read when the daemon reads them, which is after the stream has ended
  // (docs/protocol.md, "Streaming"). So what a component sets while the page streams (inside a
  // Suspense boundary, an async setup) counts, as it would in a whole render.
  // frameworkHead() gives the framework's own head once the stream has ended.
  streamResult(stream, frameworkHead) {
    const ssr = this;
    return {
      html: stream,
      get head() {
        return ssr.headMarkup(frameworkHead ? frameworkHead() : '');
      },
      get status() {
        return ssr.status;
      },
      get data() {
        return ssr.hasData ? ssr.data : undefined;
      },
    };
  }
}

export function createServerContext(request, renderHeadNode) {
  return new ServerContext(request, renderHeadNode);
}
