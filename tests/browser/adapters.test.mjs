// Browser test of the framework adapters: the checklist page of each example app (React, Vue,
// Svelte, Preact), served by the Django example through {% ssr %} from one ssrd daemon, under a
// strict nonce CSP, in Debian's Chromium through playwright-core. Something else starts the
// servers (tests/examples/test_django_pages.py) and passes the origin in BASE_URL (loopback).
// For each framework:
//   - without JavaScript the server HTML already holds the page;
//   - the production and the development client bundles hydrate it with no console error or
//     warning and no hydration message, and the page works: a checkbox changes the summary, the
//     form adds an item;
//   - markup that differs from the client's render is reported loudly (console.error "ssrd: …")
//     by the development bundle, and the page still works;
//   - the same page streamed (ssrd_django.streaming, the app's streaming bundle) hydrates as
//     cleanly, and so does React's delivery page, whose Suspense boundary arrives after the shell
//     and is put in place by React's own inline script (which must carry the request's nonce).
// Run: BASE_URL=http://127.0.0.1:PORT node adapters.test.mjs   (Node 18+)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';

const baseUrl = process.env.BASE_URL;
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const FRAMEWORKS = (process.env.FRAMEWORKS || 'react,vue,svelte,preact').split(',');
const TIMEOUT_MS = 20000;

if (!baseUrl || !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d+$/.test(baseUrl)) {
  console.error('BASE_URL must be a loopback origin such as http://127.0.0.1:8000');
  process.exit(2);
}
const allowedHost = new URL(baseUrl).host;

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

// A page that records console errors and warnings, every console line about hydration, page
// errors and CSP violations. Requests to anything but the test server are aborted. rewrite, if
// given, changes the document's HTML before the browser sees it.
async function watchedPage({ javaScriptEnabled = true, rewrite } = {}) {
  const context = await browser.newContext({ javaScriptEnabled });
  await context.route('**/*', async (route) => {
    const request = route.request();
    if (new URL(request.url()).host !== allowedHost) return route.abort();
    if (!rewrite || request.resourceType() !== 'document') return route.continue();
    const response = await route.fetch();
    return route.fulfill({ response, body: rewrite(await response.text()) });
  });
  const page = await context.newPage();
  const problems = [];
  const errors = [];
  page.on('console', (msg) => {
    const text = msg.text();
    if (msg.type() === 'error') errors.push(text);
    if (msg.type() === 'error' || msg.type() === 'warning' || /hydrat|mismatch/i.test(text)) {
      problems.push(`console.${msg.type()}: ${text}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return { context, page, problems, errors };
}

const pageUrl = (framework, title, query = '') =>
  `${baseUrl}/checklist/${framework}/?${new URLSearchParams({ title })}${query}`;

async function waitHydrated(page) {
  await page.waitForFunction(() => document.documentElement.dataset.ssrdHydrated === 'true', null,
    { timeout: TIMEOUT_MS });
}

async function waitText(page, testId, text) {
  await page.waitForFunction(([id, want]) => document.querySelector(`[data-testid="${id}"]`)?.textContent === want,
    [testId, text], { timeout: 5000 });
}

// The interaction every framework's page must support once hydrated.
async function useTheChecklist(page) {
  assert.equal(await page.getByTestId('summary').textContent(), '2 of 3 left');
  await page.getByTestId('item-2').click();
  await waitText(page, 'summary', '1 of 3 left');
  assert.equal(await page.getByTestId('item-2').isChecked(), true);
  await page.getByTestId('new-item').fill('Apples');
  await page.getByTestId('add').click();
  await waitText(page, 'summary', '2 of 4 left');
  assert.equal(await page.locator('[data-testid="items"] li').count(), 4);
  assert.equal(await page.locator('[data-testid="items"] li').last().textContent(), 'Apples');
  assert.equal(await page.getByTestId('new-item').inputValue(), '');
}

for (const framework of FRAMEWORKS) {
  describe(framework, () => {
    test('without JavaScript the server HTML already holds the page', async () => {
      const title = `${framework} no-JS ${Date.now()}`;
      const { context, page, problems } = await watchedPage({ javaScriptEnabled: false });
      try {
        const response = await page.goto(pageUrl(framework, title));
        assert.equal(response.status(), 200);
        assert.match(response.headers()['content-security-policy'] ?? '', /script-src 'nonce-/);
        assert.equal(await page.locator('h1').textContent(), title);
        assert.equal(await page.locator(`section[data-framework="${framework}"]`).count(), 1);
        assert.equal(await page.getByTestId('summary').textContent(), '2 of 3 left');
        assert.equal(await page.locator('[data-testid="items"] li').count(), 3);
        const data = JSON.parse(await page.locator('script#ssrd-data').textContent());
        assert.equal(data.props.title, title);
        assert.equal(await page.locator('html').getAttribute('data-ssrd-hydrated'), null);
        assert.deepEqual(problems, []);
      } finally {
        await context.close();
      }
    });

    for (const [bundle, query] of [['production', ''], ['development', '&dev=1']]) {
      test(`the ${bundle} bundle hydrates cleanly under the CSP and the page works`, async () => {
        const title = `${framework} ${bundle} ${Date.now()}`;
        const { context, page, problems } = await watchedPage();
        try {
          await page.goto(pageUrl(framework, title, query));
          await waitHydrated(page);
          assert.equal(await page.locator('h1').textContent(), title);
          await useTheChecklist(page);
          assert.deepEqual(problems, []);
        } finally {
          await context.close();
        }
      });
    }

    test('the development bundle reports markup that differs from the client render', async () => {
      const { context, page, errors } = await watchedPage({
        rewrite: (html) => html.replace('>2 of 3 left<', '>7 of 3 left<'),
      });
      try {
        await page.goto(pageUrl(framework, 'Tampered', '&dev=1'));
        await waitHydrated(page);
        const component = `${framework[0].toUpperCase()}${framework.slice(1)}Checklist`;
        const reported = errors.filter((text) => text.startsWith('ssrd: hydration') && text.includes(`"${component}"`));
        assert.ok(reported.length > 0, `no "ssrd: hydration …" error naming ${component}; console errors: ${JSON.stringify(errors)}`);
        console.log(`# ${framework}: ${reported[0].split('\n')[0]}`);
        await waitText(page, 'summary', '2 of 3 left');
        await useTheChecklist(page);
      } finally {
        await context.close();
      }
    });
  });
}

const streamedUrl = (framework, title, query = '') =>
  `${baseUrl}/stream/checklist/${framework}/?${new URLSearchParams({ title })}${query}`;

for (const framework of FRAMEWORKS) {
  describe(`${framework}, streamed`, () => {
    for (const [bundle, query] of [['production', ''], ['development', '&dev=1']]) {
      test(`the ${bundle} bundle hydrates the streamed page cleanly and the page works`, async () => {
        const title = `${framework} streamed ${bundle} ${Date.now()}`;
        const { context, page, problems } = await watchedPage();
        try {
          const response = await page.goto(streamedUrl(framework, title, query));
          assert.equal(response.status(), 200);
          await waitHydrated(page);
          assert.equal(await page.locator('h1').textContent(), title);
          await useTheChecklist(page);
          assert.deepEqual(problems, []);
        } finally {
          await context.close();
        }
      });
    }
  });
}

if (FRAMEWORKS.includes('react')) {
  describe('react, streamed with a Suspense boundary', () => {
    for (const [bundle, query] of [['production', ''], ['development', '&dev=1']]) {
      test(`the ${bundle} bundle hydrates the page once the late boundary is in place`, async () => {
        const { context, page, problems } = await watchedPage();
        try {
          const response = await page.goto(`${baseUrl}/stream/delivery/?product=Desk&days=4&wait_ms=300${query}`);
          assert.equal(response.status(), 200);
          await waitHydrated(page);
          // In place: React's script has moved it out of its hidden container, over the fallback.
          await page.waitForFunction(() => {
            const estimate = document.querySelector('#root [data-testid="estimate"]');
            return estimate?.textContent === 'Desk ships in 4 days' && !estimate.closest('[hidden]');
          }, null, { timeout: TIMEOUT_MS });
          assert.equal(await page.getByTestId('estimate-pending').count(), 0);
          await page.getByTestId('watch').click();
          await waitText(page, 'watch', 'Watching');
          assert.deepEqual(problems, []);
        } finally {
          await context.close();
        }
      });
    }

    test('without JavaScript the fallback stays and the estimate is in the page', async () => {
      const { context, page, problems } = await watchedPage({ javaScriptEnabled: false });
      try {
        await page.goto(`${baseUrl}/stream/delivery/?product=Desk&days=4&wait_ms=50`);
        assert.equal(await page.getByTestId('estimate-pending').textContent(), 'Checking delivery…');
        // React's script would move it into place; the streamed part is in the page regardless.
        assert.equal(await page.locator('[hidden] [data-testid="estimate"]').textContent(), 'Desk ships in 4 days');
        assert.deepEqual(problems, []);
      } finally {
        await context.close();
      }
    });
  });
}
