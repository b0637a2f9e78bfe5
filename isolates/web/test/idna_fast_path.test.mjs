// src/idna.cjs answers ASCII hosts without tr46; this checks that it answers exactly what tr46
// answers, as whatwg-url uses it, on every one- and two-character ASCII host and on ASCII hosts
// with dots and "XN-" around them. Run by scripts/test (node --test isolates/web/test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const tr46 = require('tr46');
const idna = require('../src/idna.cjs');

// The options whatwg-url's domainToASCII passes when parsing a URL (beStrict = false).
const options = { checkHyphens: false, checkBidi: true, checkJoiners: true, useSTD3ASCIIRules: false,
                  transitionalProcessing: false, verifyDNSLength: false, ignoreInvalidPunycode: false };
// whatwg-url's own checks after toASCII: what decides the URL's fate.
const forbiddenDomain = /[\u0000-\u001F\u0020#%/:<>?@[\\\]^|\u007F]/u;
const outcome = (r) => (r === null || r === '' || forbiddenDomain.test(r) ? 'failure' : r);

test('the ASCII fast path agrees with tr46', () => {
  const chars = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i));
  const hosts = ['', '.', '..', 'a..b', 'EXAMPLE.COM.', '-a-.b-', 'a--b', 'xn-a', 'localhost', 'a_b'];
  for (const a of chars) for (const b of chars) hosts.push(a + b, 'x' + a + '.' + b + 'Y', a + 'XN-' + b);
  for (const host of hosts) {
    assert.equal(outcome(idna.toASCII(host, options)), outcome(tr46.toASCII(host, options)), JSON.stringify(host));
  }
});

test('hosts the fast path does not cover go to tr46', () => {
  for (const host of ['münchen.de', 'xn--mnchen-3ya.de', 'a.XN--mnchen-3ya', 'ｅｘａｍｐｌｅ.com', 'a\u3002b']) {
    assert.equal(idna.toASCII(host, options), tr46.toASCII(host, options), host);
  }
  const strict = { ...options, useSTD3ASCIIRules: true, checkHyphens: true, verifyDNSLength: true };
  assert.equal(idna.toASCII('a_b', strict), tr46.toASCII('a_b', strict));
});
