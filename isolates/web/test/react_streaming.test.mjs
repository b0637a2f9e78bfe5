// The React streaming bundle of tests/snapshots/bundles/react_streaming, run in Node 20, gives
// expected.txt: the text the worker must give too (tests/snapshots/react_streaming_test.cc), so
// that a change of React or of the bundle cannot leave the two tests comparing different things.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../../tests/snapshots/bundles/react_streaming');

// React's scheduler keeps a MessageChannel port listening, which would keep Node running after the
// test: its ports are unref'd (the worker has no event loop to keep alive).
function unrefMessageChannels() {
  const NodeMessageChannel = globalThis.MessageChannel;
  const find = (o, key) => {
    for (; o !== null; o = Object.getPrototypeOf(o)) {
      const d = Object.getOwnPropertyDescriptor(o, key);
      if (d) return d;
    }
  };
  globalThis.MessageChannel = class extends NodeMessageChannel {
    constructor() {
      super();
      for (const port of [this.port1, this.port2]) {
        const d = find(port, 'onmessage');
        Object.defineProperty(port, 'onmessage', {
          get() { return d.get.call(port); },
          set(v) { d.set.call(port, v); port.unref(); },
        });
      }
    }
  };
}

test('the React streaming bundle renders in Node as expected.txt says', async () => {
  const out = mkdtempSync(join(tmpdir(), 'ssrd-react-streaming-'));
  try {
    const bundle = join(out, 'react_streaming.mjs');
    execFileSync(process.execPath, [join(dir, 'build.mjs'), bundle]);
    unrefMessageChannels();
    const { render } = await import(pathToFileURL(bundle).href);
    // React's work then waits on those ports alone: this keeps Node's loop alive until it is done.
    const keepAlive = setInterval(() => {}, 1000);
    let text;
    try {
      text = await render({ component: 'Page', props: { name: 'Lamp', price: '12 €' } });
    } finally {
      clearInterval(keepAlive);
    }
    assert.equal(text, readFileSync(join(dir, 'expected.txt'), 'utf8'));
    assert.match(text, /^shell before the data: true\n<!DOCTYPE html>/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
