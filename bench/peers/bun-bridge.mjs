// Peer (d): the pipe-bridge design ssrd replaces. One Bun process reads JSON lines on stdin,
// {"id", "component", "props"}, renders each in turn and writes one JSON line per request on
// stdout: {"id", "html"} or {"id", "error"}. The loader process owns both ends of the pipe.
//   bun bun-bridge.mjs
import { createInterface } from 'node:readline';
import { loadRender } from './bundle.mjs';

const render = await loadRender();

// node:readline rather than Bun's `for await (const line of console)`, which (Bun 1.4.5) does not
// end at end of input, so the bridge would outlive its loader.
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on('line', (line) => {
  if (line.length === 0) return;
  let id = null;
  let reply;
  try {
    const request = JSON.parse(line);
    id = request.id;
    reply = JSON.stringify({ id, html: render(request.component, request.props) });
  } catch (error) {
    reply = JSON.stringify({ id, error: String(error.message) });
  }
  process.stdout.write(reply + '\n');
});
lines.on('close', () => process.exit(0));
