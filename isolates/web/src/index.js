// The web APIs of a worker, installed once per context by the runtime prelude
// (isolates/runtime_prelude.cc) before the bundle loads, so that they are in every snapshot and in
// the context guard's baseline. `host` carries what the prelude owns: `define` (a non-enumerable
// global, like the builtins), `reportError` and the timer functions, captured before any bundle
// code runs.
import { URL, URLSearchParams } from 'whatwg-url';
import { CustomEvent, DOMException, Event, EventTarget, setErrorReporter } from './events.js';
import { AbortController, AbortSignal, setTimers } from './abort.js';
import { Headers } from './headers.js';
import { Request, Response, setUrlClasses } from './request_response.js';
import { fetch } from './fetch.js';

export function install(global, host) {
  setErrorReporter(host.reportError);
  setTimers({ setTimeout: host.setTimeout });
  setUrlClasses(URL, URLSearchParams);
  const apis = {
    URL, URLSearchParams, DOMException, Event, CustomEvent, EventTarget, AbortController, AbortSignal,
    Headers, Request, Response, fetch,
  };
  for (const name of Object.keys(apis)) host.define(global, name, apis[name]);
}
