// atob and btoa (HTML standard, "forgiving-base64"), with Node 20's error messages: a character
// that can never be valid, or '=' where it cannot be, is "Invalid character"; a length that
// cannot be decoded is "The string to be decoded is not correctly encoded.".
import { DOMException } from './events.js';

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const values = new Int8Array(128).fill(-1);
for (let i = 0; i < alphabet.length; i++) values[alphabet.charCodeAt(i)] = i;
const asciiWhitespace = /[\t\n\f\r ]/g;

const invalidCharacter = (message) => new DOMException(message, 'InvalidCharacterError');
const missing = () => {
  const error = new TypeError('The "input" argument must be specified');
  error.code = 'ERR_MISSING_ARGS';
  return error;
};

export function atob(data) {
  if (arguments.length === 0) throw missing();
  let input = String(data).replace(asciiWhitespace, '');
  const firstPad = input.indexOf('=');
  const digits = firstPad < 0 ? input.length : firstPad;
  for (let i = 0; i < digits; i++) {
    const c = input.charCodeAt(i);
    if (c >= 128 || values[c] < 0) throw invalidCharacter('Invalid character');
  }
  const pads = firstPad < 0 ? 0 : input.length - firstPad;
  // Only one or two '=', and nothing after them.
  if (pads > 2 || (pads > 0 && !/^=+$/.test(input.slice(firstPad)))) throw invalidCharacter('Invalid character');
  if (digits % 4 === 1) throw invalidCharacter('The string to be decoded is not correctly encoded.');
  // '=' only where it makes the length a multiple of 4.
  if (pads > 0 && input.length % 4 !== 0) throw invalidCharacter('Invalid character');
  input = input.slice(0, digits);
  let out = '';
  let buffer = 0, bits = 0;
  for (let i = 0; i < input.length; i++) {
    buffer = (buffer << 6) | values[input.charCodeAt(i)];
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += String.fromCharCode((buffer >> bits) & 0xff);
    }
  }
  return out;
}

export function btoa(data) {
  if (arguments.length === 0) throw missing();
  const input = String(data);
  let out = '';
  let i = 0;
  const at = (k) => {
    const c = input.charCodeAt(k);
    if (c > 0xff) throw invalidCharacter('Invalid character');
    return c;
  };
  for (; i + 2 < input.length; i += 3) {
    const n = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    out += alphabet[n >> 18] + alphabet[(n >> 12) & 63] + alphabet[(n >> 6) & 63] + alphabet[n & 63];
  }
  if (i + 1 === input.length) {
    const n = at(i) << 16;
    out += alphabet[n >> 18] + alphabet[(n >> 12) & 63] + '==';
  } else if (i + 2 === input.length) {
    const n = (at(i) << 16) | (at(i + 1) << 8);
    out += alphabet[n >> 18] + alphabet[(n >> 12) & 63] + alphabet[(n >> 6) & 63] + '=';
  }
  return out;
}
