// structuredClone (HTML standard): V8's own ValueSerializer and ValueDeserializer do the work in
// the host (isolates/structured_clone.cc), so every type V8 knows how to clone (Map, Set, Date,
// RegExp, errors, ArrayBuffers and their views, cycles, ...) clones as in browsers and Node; this
// checks the arguments as Node 20 does and makes V8's refusals DataCloneError DOMExceptions.
import { DOMException } from './events.js';

let cloneNative;  // (value, transfer: ArrayBuffer[], makeError: message => error) => clone
export function setCloner(clone) { cloneNative = clone; }

const dataCloneError = (message) => new DOMException(message, 'DataCloneError');
function typeError(message, code) {
  const error = new TypeError(message);
  error.code = code;
  return error;
}

export function structuredClone(value, options = undefined) {
  if (arguments.length === 0) throw typeError('The value argument must be specified', 'ERR_MISSING_ARGS');
  let transfer = [];
  if (options !== undefined && options !== null) {
    if (typeof options !== 'object')
      throw typeError('The options argument must be either an object or undefined', 'ERR_INVALID_ARG_TYPE');
    if (options.transfer !== undefined && options.transfer !== null) {
      if (typeof options.transfer !== 'object' || typeof options.transfer[Symbol.iterator] !== 'function')
        throw typeError('Optional transferList argument must be an iterable', 'ERR_INVALID_ARG_TYPE');
      transfer = Array.from(options.transfer);
    }
  }
  for (const item of transfer) {
    if (!(item instanceof ArrayBuffer))
      throw typeError('Found invalid object in transferList', 'ERR_INVALID_TRANSFER_OBJECT');
  }
  return cloneNative(value, transfer, dataCloneError);
}
