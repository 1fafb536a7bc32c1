// A reader thread for reader.test.ts: reads the shared table while the test's main thread
// writes it, and checks that every mapping it gets is one whole version (see the test).
// Runs the built reader (dist/, made by `npm run build`, which `npm test` runs first).
import { parentPort, workerData } from 'node:worker_threads';
import { openTableReader } from '../../../dist/mappings/shared-memory/reader.js';

const { share, ips, control } = workerData;
const flags = new Int32Array(control); // [stop, reads, versions seen]
const reader = openTableReader(share);
const expected = (r) => ({
  id: `p-${r.toString(36)}`, user: `user-${r}-${'x'.repeat(r % 40)}`, sender: `s${r % 3}`, profile: `p${r % 5}`,
  firstSeen: r, lastSeen: r, expiresAt: r + 1e12, timeoutMs: r,
});
const bad = [];
let lastVersion = -1;
let versions = 0;
let missing = 0;
parentPort.postMessage('ready');
while (Atomics.load(flags, 0) === 0) {
  for (const ip of ips) {
    const m = reader.get(ip, 0);
    Atomics.add(flags, 1, 1);
    if (m === undefined) {
      missing++;
      continue;
    }
    const want = { ...expected(m.lastSeen), ip };
    for (const key of Object.keys(want)) {
      if (m[key] !== want[key] && bad.length < 10) bad.push({ got: m, field: key });
    }
    if (m.lastSeen > lastVersion) {
      lastVersion = m.lastSeen;
      Atomics.store(flags, 2, ++versions);
    }
  }
}
parentPort.postMessage({ bad, missing, versions });
