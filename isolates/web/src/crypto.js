// crypto.getRandomValues and crypto.randomUUID (Web Crypto), with Node 20's errors. The bytes come
// from the kernel (getrandom(2), through the host's randomFill) at each call: nothing here holds
// random state, so nothing random can be frozen into a startup snapshot and shared by the workers
// restored from it. No crypto.subtle: a render signs and encrypts nothing.
import { DOMException } from './events.js';

let randomFill;  // (integer typed array) => void; native
export function setRandomSource(fill) { randomFill = fill; }

const kCreate = Symbol('Crypto.create');
const kMaxBytes = 65536;
// The typed array's own kind from its internal slot (undefined for anything else), which no
// prototype trick can fake.
const typedArrayKind = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag).get;
const integerKinds = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
                      'Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array'];
const withCode = (error, code) => { error.code = code; return error; };
const hex = Array.from({ length: 256 }, (_, i) => (i < 16 ? '0' : '') + i.toString(16));

function getRandomValues(array) {
  if (!integerKinds.includes(typedArrayKind.call(array)))
    throw new DOMException('The data argument must be an integer-type TypedArray', 'TypeMismatchError');
  if (array.byteLength > kMaxBytes)
    throw new DOMException('The requested length exceeds 65,536 bytes', 'QuotaExceededError');
  randomFill(array);
  return array;
}

export class Crypto {
  constructor(key = undefined) {
    if (key !== kCreate) throw withCode(new TypeError('Illegal constructor'), 'ERR_ILLEGAL_CONSTRUCTOR');
  }
  getRandomValues(array) {
    if (arguments.length === 0)
      throw withCode(new TypeError("Failed to execute 'getRandomValues' on 'Crypto': 1 argument required, but only 0 present."),
                     'ERR_MISSING_ARGS');
    return getRandomValues(array);
  }
  randomUUID() {
    const b = new Uint8Array(16);
    randomFill(b);
    b[6] = (b[6] & 0x0f) | 0x40;  // version 4
    b[8] = (b[8] & 0x3f) | 0x80;  // variant 10xx
    return hex[b[0]] + hex[b[1]] + hex[b[2]] + hex[b[3]] + '-' + hex[b[4]] + hex[b[5]] + '-' +
           hex[b[6]] + hex[b[7]] + '-' + hex[b[8]] + hex[b[9]] + '-' + hex[b[10]] + hex[b[11]] +
           hex[b[12]] + hex[b[13]] + hex[b[14]] + hex[b[15]];
  }
}
Object.defineProperty(Crypto.prototype, Symbol.toStringTag, { value: 'Crypto', configurable: true });

export const crypto = new Crypto(kCreate);
