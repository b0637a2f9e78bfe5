// The web APIs of a worker, installed once per context by the runtime prelude
// (isolates/runtime_prelude.cc) before the bundle loads, so that they are in every snapshot and in
// the context guard's baseline. `host` carries what the prelude owns: `define` (a non-enumerable
// global, like the builtins), `reportError`, the timer functions, and the native functions
// `randomFill` (getrandom(2)) and `structuredClone` (V8's ValueSerializer), captured before any
// bundle code runs.
import { URL, URLSearchParams } from 'whatwg-url';
import { CustomEvent, DOMException, Event, EventTarget, setErrorReporter } from './events.js';
import { AbortController, AbortSignal, setTimers } from './abort.js';
import { Headers } from './headers.js';
import { Request, Response, setUrlClasses } from './request_response.js';
import { fetch } from './fetch.js';
import * as streams from './streams.js';
import { TextDecoderStream, TextEncoderStream } from './text_streams.js';
import { Blob, File } from './blob.js';
import { atob, btoa } from './base64.js';
import { Crypto, crypto, setRandomSource } from './crypto.js';
import { setCloner, structuredClone } from './structured_clone.js';

export function install(global, host) {
  setErrorReporter(host.reportError);
  setTimers({ setTimeout: host.setTimeout });
  setUrlClasses(URL, URLSearchParams);
  setRandomSource(host.randomFill);
  setCloner(host.structuredClone);
  const apis = {
    URL, URLSearchParams, DOMException, Event, CustomEvent, EventTarget, AbortController, AbortSignal,
    Headers, Request, Response, fetch,
    ReadableStream: streams.ReadableStream,
    ReadableStreamDefaultReader: streams.ReadableStreamDefaultReader,
    ReadableStreamBYOBReader: streams.ReadableStreamBYOBReader,
    ReadableStreamBYOBRequest: streams.ReadableStreamBYOBRequest,
    ReadableStreamDefaultController: streams.ReadableStreamDefaultController,
    ReadableByteStreamController: streams.ReadableByteStreamController,
    WritableStream: streams.WritableStream,
    WritableStreamDefaultWriter: streams.WritableStreamDefaultWriter,
    WritableStreamDefaultController: streams.WritableStreamDefaultController,
    TransformStream: streams.TransformStream,
    TransformStreamDefaultController: streams.TransformStreamDefaultController,
    ByteLengthQueuingStrategy: streams.ByteLengthQueuingStrategy,
    CountQueuingStrategy: streams.CountQueuingStrategy,
    TextEncoderStream, TextDecoderStream, Blob, File, atob, btoa, Crypto, crypto, structuredClone,
  };
  for (const name of Object.keys(apis)) host.define(global, name, apis[name]);
}
