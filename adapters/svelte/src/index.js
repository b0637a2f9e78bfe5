// What components use, on the server and in the browser alike. In the browser there is no
// server context: useSsrd() gives null. Head tags need no helper: <svelte:head> is the head.
import { getContext } from 'svelte';

// Set in the render's context by the server render only.
export const ssrdKey = Symbol('ssrd');

// The render's server context ({request, setStatus, redirect, setData, addHead}), or null in
// the browser. Call it while the component initialises, like any getContext().
export function useSsrd() {
  return getContext(ssrdKey) ?? null;
}
