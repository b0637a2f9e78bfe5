// What whatwg-url gets for `require("tr46")`: tr46 itself, loaded on first need. tr46's UTS 46
// table is 9,000 entries, 1.2 MB of live heap: more than the whole example React app, and every
// garbage collection of every render walks it. A host that is plain ASCII with no "xn--" label
// needs none of it when URL parsing calls (checkHyphens, useSTD3ASCIIRules and verifyDNSLength
// all false): UTS 46 maps it to its lower case, and every other check passes or is whatwg-url's
// own. test/idna_fast_path.test.mjs checks that it agrees with tr46 on every one- and
// two-character ASCII host and on ASCII hosts with dots and "XN-" around them (49,169 hosts).
// Other hosts, and any other options, go to tr46.
let tr46 = null;
// esbuild evaluates a bundled CommonJS module on its first require, so the table is parsed here.
const real = () => tr46 || (tr46 = require('tr46'));

const nonAscii = /[^\x00-\x7f]/;
const punycodeLabel = /(?:^|\.)xn--/i;

function isFastPath(domain, options) {
  return options && !options.checkHyphens && !options.useSTD3ASCIIRules && !options.verifyDNSLength &&
    !nonAscii.test(domain) && !punycodeLabel.test(domain);
}

module.exports = {
  toASCII(domain, options) {
    return isFastPath(domain, options) ? domain.toLowerCase() : real().toASCII(domain, options);
  },
  toUnicode(domain, options) { return real().toUnicode(domain, options); },
};
