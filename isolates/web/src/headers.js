// Headers (Fetch standard): names are case-insensitive and iterate sorted, lower-cased; values are
// trimmed of HTTP whitespace; set-cookie values are never combined.
const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const badValue = /[\0\r\n]/;

function normalizeName(name) {
  name = String(name);
  if (!token.test(name)) throw new TypeError('Header name must be a valid HTTP token ["' + name + '"]');
  return name.toLowerCase();
}
function normalizeValue(value) {
  value = String(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
  if (badValue.test(value)) throw new TypeError('Invalid header value ["' + value + '"]');
  return value;
}

export class Headers {
  #map = new Map();  // lower-cased name -> [values]

  constructor(init = undefined) {
    if (init === undefined || init === null) return;
    if (init instanceof Headers) {
      for (const [name, values] of init.#map) this.#map.set(name, values.slice());
      return;
    }
    if (typeof init !== 'object') throw new TypeError('Headers init must be an object or an iterable of pairs');
    if (typeof init[Symbol.iterator] === 'function') {
      for (const pair of init) {
        const entry = Array.from(pair);
        if (entry.length !== 2) throw new TypeError('Header pairs must contain exactly a name and a value');
        this.append(entry[0], entry[1]);
      }
      return;
    }
    for (const name of Reflect.ownKeys(init)) {
      if (typeof name === 'symbol') continue;
      this.append(name, init[name]);
    }
  }
  append(name, value) {
    name = normalizeName(name);
    value = normalizeValue(value);
    const values = this.#map.get(name);
    if (values === undefined) this.#map.set(name, [value]);
    else values.push(value);
  }
  delete(name) { this.#map.delete(normalizeName(name)); }
  get(name) {
    const values = this.#map.get(normalizeName(name));
    return values === undefined ? null : values.join(', ');
  }
  getSetCookie() { return (this.#map.get('set-cookie') || []).slice(); }
  has(name) { return this.#map.has(normalizeName(name)); }
  set(name, value) { this.#map.set(normalizeName(name), [normalizeValue(value)]); }
  forEach(callback, thisArg = undefined) {
    for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this);
  }
  *entries() {
    const names = Array.from(this.#map.keys()).sort();
    for (const name of names) {
      const values = this.#map.get(name);
      if (values === undefined) continue;
      if (name === 'set-cookie') for (const v of values) yield [name, v];
      else yield [name, values.join(', ')];
    }
  }
  *keys() { for (const [name] of this.entries()) yield name; }
  *values() { for (const [, value] of this.entries()) yield value; }
  [Symbol.iterator]() { return this.entries(); }
}
Object.defineProperty(Headers.prototype, Symbol.toStringTag, { value: 'Headers', configurable: true });
