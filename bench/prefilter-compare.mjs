#!/usr/bin/env node
/**
 * The prefilter of one or more builds side by side, in one process (issue 11 item 6): ns
 * per message of a sender with every shipped profile against one with the first round's 14,
 * on the identify part's messages, the builds' matchers taking turns round by round so a
 * busy machine slows them alike; best of the rounds. A build is a checkout's dist/ folder.
 *
 *   node bench/prefilter-compare.mjs [DIST ...]     (default: this checkout's dist/)
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FIRST_ROUND } from './parts/identify.mjs';
import { PROFILES } from './lib/listener.mjs';
import { esmMessage, otherMessage } from './lib/traffic.mjs';

const ROUNDS = 15;
const dists = process.argv.length > 2 ? process.argv.slice(2) : [fileURLToPath(new URL('../dist/', import.meta.url))];
const esm = Array.from({ length: 4096 }, (_, i) => Buffer.from(esmMessage(i)));
const workloads = {
  'no profile wants any': esm.map((_, i) => Buffer.from(otherMessage(i + (i % 10 === 0 ? 1 : 0)))),
  '90% other syslog, 10% ESM': esm.map((m, i) => (i % 10 === 0 ? m : Buffer.from(otherMessage(i)))),
  'all ESM heartbeats': esm,
};
const sender = { name: 'any', address: '10.0.0.6', transports: ['udp'] };
let sink = 0;
const emit = () => { sink++; };

const subjects = [];
for (const dist of dists) {
  const { loadProfiles } = await import(pathToFileURL(`${dist}/config/profiles.js`).href);
  const { profiles } = await loadProfiles(PROFILES);
  const firstRound = FIRST_ROUND.filter((name) => profiles.profile(name) !== undefined);
  subjects.push({ name: `${dist}, ${firstRound.length} profiles`, matcher: profiles.diagnose(firstRound, 'set').matcher });
  subjects.push({ name: `${dist}, ${profiles.names.length} profiles`, matcher: profiles.diagnose(undefined, 'set').matcher });
}
const best = new Map();
for (let round = 0; round < ROUNDS; round++) {
  for (const { name, matcher } of subjects) {
    for (const [workload, messages] of Object.entries(workloads)) {
      const began = performance.now();
      for (let r = 0; r < 10; r++) for (const data of messages) matcher.match(data, sender, emit);
      const ns = ((performance.now() - began) * 1e6) / (10 * messages.length);
      const key = `${workload} | ${name}`;
      best.set(key, Math.min(best.get(key) ?? Infinity, ns));
    }
  }
}
if (sink === 0) throw new Error('nothing matched');
for (const [key, ns] of best) console.log(`| ${key} | ${ns.toFixed(0)} ns |`);
