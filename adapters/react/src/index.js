// What components use, on the server and in the browser alike. In the browser there is no
// server context: useSsrd() gives null and <Head> renders nothing.
import { createContext, useContext } from 'react';

export const SsrdContext = createContext(null);

// The render's server context ({request, setStatus, redirect, setData, addHead}), or null in
// the browser.
export function useSsrd() {
  return useContext(SsrdContext);
}

// <Head><title>…</title><meta …/></Head>: its children become the reply's head, rendered as
// static markup after the page. Renders nothing where it stands, on either side.
export function Head({ children }) {
  const ssr = useContext(SsrdContext);
  if (ssr) ssr.addHeadNode(children);
  return null;
}
