// Identify stage throughput: messages/s through ProfileSet.forSender(...).match with the
// whole shipped profile library loaded, beside in-process baselines measured in the same
// run on the same messages. Run from the repository root:
//   npx tsc -p tsconfig.build.json && node bench/identify.mjs
// Each figure is the best of several timed rounds of about 0.4 s; numbers are single-core.
import { loadProfiles } from '../dist/config/profiles.js';

const ROUNDS = 5;
const ROUND_MS = 400;

const { profiles: set, issues } = await loadProfiles('profiles');
if (issues.length > 0) throw new Error(`profiles/ has issues: ${issues.map((i) => i.message).join('; ')}`);

// (a) Traps ESM heartbeats as ESM sends them (~190 bytes), users and addresses varying.
const esm = Array.from({ length: 4096 }, (_, i) =>
  Buffer.from(`<14>Mar 14 09:12:${String(i % 60).padStart(2, '0')} esm01 LEEF:1.0|Palo Alto Networks|Traps Agent|4.2.0.11|` +
    `Service is alive|cat=System\tsev=1\tshost=PC-${String(i).padStart(4, '0')}\tduser=user${i}\tdst=10.${(i >> 8) & 255}.${i & 255}.${(i * 7) & 255}\tmsg=heartbeat`));

// (b) Other syslog of similar size, with an ESM heartbeat every tenth message.
const other = [
  (i) => `<86>Mar 14 09:12:01 web01 sshd[${1000 + i}]: Accepted publickey for deploy from 192.0.2.${i & 255} port ${40000 + i} ssh2: ED25519 SHA256:Zm9vYmFyYmF6cXV4cXV1eA`,
  (i) => `<134>Mar 14 09:12:01 fw01 kernel: [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56 SRC=198.51.100.${i & 255} DST=10.0.0.1 LEN=60 TOS=0x00 PROTO=TCP SPT=${1024 + i} DPT=22`,
  (i) => `<30>Mar 14 09:12:01 app02 systemd[1]: Started session ${i} of user www-data; unit session-${i}.scope finished with result done in 12ms.`,
  (i) => `<190>Mar 14 09:12:01 lb01 haproxy[${i}]: 203.0.113.${i & 255}:${30000 + i} [14/Mar/2024:09:12:01.123] https~ app/web0${i % 4} 0/0/1/12/13 200 1532 - - ---- 12/12/0/0/0 0/0 "GET /api/v1/items HTTP/1.1"`,
];
const mixed = Array.from({ length: 4096 }, (_, i) => (i % 10 === 0 ? esm[i] : Buffer.from(other[i % other.length](i))));

const esmSender = { name: 'esm', address: '10.0.0.5', transports: ['tls', 'udp'], profiles: ['traps-esm-leef'] };
const anySender = { name: 'any', address: '10.0.0.6', transports: ['udp'] };

let sink = 0;
const emit = () => { sink++; };

function rate(messages, once) {
  let best = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let n = 0;
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(ROUND_MS * 1e6);
    let now = start;
    while (now < deadline) {
      for (let i = 0; i < messages.length; i++) once(messages[i]);
      n += messages.length;
      now = process.hrtime.bigint();
    }
    best = Math.max(best, n / (Number(now - start) / 1e9));
  }
  return best;
}

// Baselines: the least work a prefilter can do, and a plain JS implementation on strings.
const literal = Buffer.from('Service is alive');
const indexOfOnly = (m) => { if (m.indexOf(literal) !== -1) sink++; };
const jsEvent = /Service is alive/;
const jsUser = /duser=([a-zA-Z0-9_]+)/;
const jsAddress = /dst=([A-F0-9a-f:.]+)/g;
const jsRegExps = (m) => {
  const s = m.toString();
  if (!jsEvent.test(s)) return;
  const user = jsUser.exec(s);
  if (!user) return;
  jsAddress.lastIndex = 0;
  for (let a = jsAddress.exec(s); a !== null; a = jsAddress.exec(s)) sink += user[1].length + a[1].length;
};

const matcherOf = (sender) => { const m = set.forSender(sender); return (data) => m.match(data, sender, emit); };
const diagnose = (strategy) => { const { matcher } = set.diagnose(undefined, strategy); return (data) => matcher.match(data, anySender, emit); };

const rows = [];
function measure(workload, messages, label, once, baseline) {
  const r = rate(messages, once);
  rows.push({ workload, label, rate: r, baseline });
  return r;
}

for (const [workload, messages] of [['(a) all ESM LEEF, ~190 B', esm], ['(b) 90% other syslog', mixed]]) {
  const idx = measure(workload, messages, 'baseline: Buffer.indexOf only', indexOfOnly);
  const js = measure(workload, messages, 'baseline: toString + 3 JS RegExps', jsRegExps);
  measure(workload, messages, `match, ESM sender (1 profile)`, matcherOf(esmSender), [idx, js]);
  measure(workload, messages, `match, any sender (${set.names.length} profiles, auto)`, matcherOf(anySender), [idx, js]);
  measure(workload, messages, `match, ${set.names.length} profiles, literal loop`, diagnose('literal'), [idx, js]);
  measure(workload, messages, `match, ${set.names.length} profiles, RE2.Set`, diagnose('set'), [idx, js]);
}

const fmt = (n) => `${(n / 1e6).toFixed(2)}M/s`.padStart(9);
console.log(`identify bench - node ${process.version}, ${set.names.length} profiles, best of ${ROUNDS} x ${ROUND_MS} ms\n`);
let last = '';
for (const { workload, label, rate: r, baseline } of rows) {
  if (workload !== last) console.log(`${workload}`);
  last = workload;
  const ratios = baseline ? `  ${(r / baseline[0]).toFixed(2)}x indexOf, ${(r / baseline[1]).toFixed(2)}x JS RegExps` : '';
  console.log(`  ${label.padEnd(44)} ${fmt(r)}${ratios}`);
}
if (sink === 0) console.log('(nothing matched?)');
