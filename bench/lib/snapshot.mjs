/** A mapping snapshot of N benchmark mappings, so a listener starts holding them (restore). */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { snapshotAddress } from './addresses.mjs';

export async function writeSnapshot(path, count) {
  const { encodeEntry, encodeHeader, encodeTrailer } = await import('../../dist/mappings/snapshot-format.js');
  const now = Date.now();
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  let chunk = encodeHeader(now);
  for (let i = 0; i < count; i++) {
    chunk += encodeEntry({
      ip: snapshotAddress(i), user: `ACME\\user${i}`, sender: 'loopback', profile: 'traps-esm-leef',
      id: `bench-${i.toString(36)}`, firstSeen: now, lastSeen: now, expiresAt: now + 45 * 60_000, timeoutMs: 45 * 60_000,
    });
    if (chunk.length > 1 << 20 || i === count - 1) {
      hash.update(chunk);
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(encodeTrailer(count, hash.digest('hex')));
  await once(out, 'finish');
}
