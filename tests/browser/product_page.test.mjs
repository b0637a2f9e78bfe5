// Browser test of the Django example (gunicorn + ssrd), driving Debian's Chromium through
// playwright-core. Something else starts the servers (clients/python/tests/test_browser.py) and
// passes the page's origin in BASE_URL (loopback only). Checks:
//   - with JavaScript disabled the server HTML already holds the rendered page;
//   - with JavaScript the client bundle hydrates it (documentElement.dataset.ssrdHydrated),
//     with no console error and no hydration mismatch, and the "Add to cart" button works;
//   - hostile strings (tests/vectors/hydration.json and a few more) used as the page title are
//     shown as text: no dialog, no page error, no console error.
// Run: BASE_URL=http://127.0.0.1:PORT node product_page.test.mjs   (Node 18+)
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const baseUrl = process.env.BASE_URL;
const screenshotDir = process.env.SCREENSHOT_DIR || join(repo, 'build', 'browser');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const HYDRATED_TIMEOUT_MS = 20000;

if (!baseUrl || !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d+$/.test(baseUrl)) {
  console.error('BASE_URL must be a loopback origin such as http://127.0.0.1:8000');
  process.exit(2);
}
const allowedHost = new URL(baseUrl).host;

function hostileStrings() {
  const strings = new Set([
    '</script><script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '<svg onload=alert(1)>',
    '"><script>alert(document.domain)</script>',
    "'; alert(1); '",
    '<!--<script>alert(1)//-->',
    '</title><script>alert(1)</script>',
    '{{7*7}} ${alert(1)} `x`',
    'javascript:alert(1)',
    'a\u2028b\u2029c',
  ]);
  const vectors = JSON.parse(readFileSync(join(repo, 'tests', 'vectors', 'hydration.json'), 'utf8'));
  const collect = (value) => {
    if (typeof value === 'string') strings.add(value);
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        strings.add(k);
        collect(v);
      }
    }
  };
  for (const vector of vectors) collect(vector.props);
  // A URL carries a title of reasonable size; NUL and CR are rewritten by the HTML parser
  // (NUL dropped, CR LF folded), so their text could not be compared as sent.
  return [...strings].filter((s) => s.length > 0 && s.length <= 1000 && !/[\0\r]/.test(s));
}

function productUrl(title, count = 6, seed = 1) {
  const query = new URLSearchParams({ title, count: String(count), seed: String(seed) });
  return `${baseUrl}/products/?${query}`;
}

let browser;

before(async () => {
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
});

// A page whose problems are recorded: console errors, page errors, dialogs (each one fails the
// test that opened the page). Requests to anything but the test server are aborted.
async function watchedPage(options = {}) {
  const context = await browser.newContext(options);
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.host === allowedHost) return route.continue();
    return route.abort();
  });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => {
    const text = msg.text();
    if (msg.type() === 'error' || /hydrat|mismatch/i.test(text)) problems.push(`console.${msg.type()}: ${text}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('dialog', async (dialog) => {
    problems.push(`dialog (${dialog.type()}): ${dialog.message()}`);
    await dialog.dismiss().catch(() => {});
  });
  return { context, page, problems };
}

async function waitHydrated(page) {
  await page.waitForFunction(() => document.documentElement.dataset.ssrdHydrated === 'true',
    null, { timeout: HYDRATED_TIMEOUT_MS });
}

test('without JavaScript the server HTML already holds the page', async () => {
  const title = `NoJS page ${Date.now()}`;
  const { context, page, problems } = await watchedPage({ javaScriptEnabled: false });
  try {
    const response = await page.goto(productUrl(title, 6));
    assert.equal(response.status(), 200);
    assert.equal(await page.locator('h1').textContent(), title);
    assert.equal(await page.getByTestId('cart-count').textContent(), 'Cart: 0');
    assert.equal(await page.locator('button.add-to-cart').count(), 6);
    const data = await page.locator('script#ssrd-data').textContent();
    assert.equal(JSON.parse(data).props.title, title, 'hydration data holds the title');
    assert.equal(await page.locator('html').getAttribute('data-ssrd-hydrated'), null);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('with JavaScript the page hydrates and the cart button works', async () => {
  const title = `Hydrated page ${Date.now()}`;
  const { context, page, problems } = await watchedPage({ viewport: { width: 1100, height: 900 } });
  try {
    await page.goto(productUrl(title, 12));
    await waitHydrated(page);
    assert.equal(await page.locator('h1').textContent(), title);
    await page.locator('button.add-to-cart').first().click();
    await page.waitForFunction(
      () => document.querySelector('[data-testid="cart-count"]')?.textContent === 'Cart: 1',
      null, { timeout: 5000 });
    assert.equal(await page.getByTestId('cart-count').textContent(), 'Cart: 1');
    assert.equal(await page.locator('button.add-to-cart').first().textContent(), 'In cart: 1');
    mkdirSync(screenshotDir, { recursive: true });
    await page.screenshot({ path: join(screenshotDir, 'product-page.png'), fullPage: false });
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('hostile titles are shown as text, run nothing, and hydrate cleanly', async () => {
  const strings = hostileStrings();
  assert.ok(strings.length >= 15, `only ${strings.length} hostile strings`);
  const { context, page, problems } = await watchedPage();
  try {
    for (const [i, title] of strings.entries()) {
      await page.goto(productUrl(title, 2, i));
      await waitHydrated(page).catch((error) => {
        throw new Error(`title ${JSON.stringify(title)} did not hydrate: ${error.message}`);
      });
      const shown = await page.locator('h1').textContent();
      assert.equal(shown, title, `title ${JSON.stringify(title)} shown as ${JSON.stringify(shown)}`);
      assert.equal(await page.title(), title.replace(/[\t\n\f\r ]+/g, ' ').replace(/^ | $/g, ''), 'document title');
      const scripts = await page.locator('script').count();
      assert.equal(scripts, 2, `title ${JSON.stringify(title)} added script elements`);
      assert.deepEqual(problems, [], `title ${JSON.stringify(title)}`);
    }
    console.log(`# ${strings.length} hostile titles checked`);
  } finally {
    await context.close();
  }
});
