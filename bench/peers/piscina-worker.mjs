// A piscina worker thread: parses the request body and renders it with the bundle.
import { loadRender } from './bundle.mjs';

const render = await loadRender();

export default function renderBody(body) {
  const { component, props } = JSON.parse(body);
  return render(component, props);
}
