// What components use, on the server and in the browser alike. In the browser there is no
// server context: useSsrd() gives null and useHead() does nothing.
import { inject } from 'vue';
import { headTags } from './shared/server_context.js';

// Provided to the app by the server render only.
export const ssrdKey = Symbol('ssrd');

// The render's server context ({request, setStatus, redirect, setData, addHead}), or null in
// the browser. Call it in setup(), like any inject().
export function useSsrd() {
  return inject(ssrdKey, null);
}

// useHead({title, meta: [{name, content}], link: [{rel, href}]}): escaped tags for the reply's
// head. Call it in setup(). (<Teleport to="head"> works too: see the README.)
export function useHead(tags) {
  const ssr = inject(ssrdKey, null);
  if (ssr) ssr.addHead(headTags(tags));
}
