/**
 * The benchmark traffic (issue 6): Traps ESM LEEF heartbeats (~200 bytes, as the shipped
 * profile's sample shows them) for 50,000 users at 65,536 addresses, and a realistic mix
 * where one message in ten is such a heartbeat and the rest is other syslog of similar
 * size that no profile maps; and the all-identity steady mix (steady.mjs). Files hold one
 * message per line, for the C sender.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { shippedProfiles, steadyLines } from './steady.mjs';

export const USERS = 50_000;
export const ADDRESSES = 65_536;

/** Address `i` (0 <= i < 65,536): unique, a usable IPv4 host address. */
export function addressFor(i) {
  return `10.${(i >> 8) & 255}.${i & 255}.${1 + (i % 250)}`;
}

export function esmMessage(i, addresses = ADDRESSES, users = USERS) {
  const a = i % addresses;
  const host = String(a).padStart(5, '0');
  return `<14>Mar 14 09:12:${String(a % 60).padStart(2, '0')} esm01 LEEF:1.0|Palo Alto Networks|Traps Agent|4.2.0.11|` +
    `Service is alive|cat=System\tsev=1\tdevTime=Mar 14 2024 09:12:01\tshost=PC-${host}\tduser=user${a % users}\tdst=${addressFor(a)}\tmsg=Service is alive`;
}

const OTHER = [
  // A line no profile maps (sshd's "Accepted … for USER from" is a login the linux-sshd profile maps).
  (i) => `<86>Mar 14 09:12:01 web01 sshd[${1000 + (i % 9000)}]: Received disconnect from 192.0.2.${i & 255} port ${40000 + (i % 20000)}:11: disconnected by user [preauth] ED25519`,
  (i) => `<134>Mar 14 09:12:01 fw01 kernel: [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56 SRC=198.51.100.${i & 255} DST=10.0.0.1 LEN=60 TOS=0x00 PROTO=TCP SPT=${1024 + (i % 60000)} DPT=22`,
  (i) => `<30>Mar 14 09:12:01 app02 systemd[1]: Started session ${i} of user www-data; unit session-${i}.scope finished with result done in 12ms.`,
  (i) => `<190>Mar 14 09:12:01 lb01 haproxy[${i % 30000}]: 203.0.113.${i & 255}:${30000 + (i % 30000)} [14/Mar/2024:09:12:01.123] https~ app/web0${i % 4} 0/0/1/12/13 200 1532 - - ---- 12/12/0/0/0 0/0 "GET /api/v1/items HTTP/1.1"`,
  (i) => `<165>1 2024-03-14T09:12:01.003Z mx01 postfix 2121 - - ${(i * 2654435761 >>> 0).toString(16).toUpperCase()}: to=<user${i % 997}@example.org>, relay=mail.example.org[192.0.2.25]:25, delay=0.41, status=sent (250 2.0.0 OK)`,
];

export function otherMessage(i) {
  return OTHER[i % OTHER.length](i);
}

/** The steady mix's lines (one message per line for the C sender), known once `writeMix` loaded them. */
let steady = [];

/** The mixes: every message maps, one in ten does, or every one is a real device's login line that refreshes a mapping. */
export const MIXES = {
  esm: { label: 'all ESM heartbeats (all map)', lines: (addresses) => addresses, message: (i, addresses) => esmMessage(i, addresses) },
  realistic: {
    label: '10% ESM heartbeats, 90% other syslog',
    lines: (addresses) => addresses * 10,
    message: (i, addresses) => (i % 10 === 0 ? esmMessage(i / 10, addresses) : otherMessage(i)),
  },
  steady: {
    label: 'all-identity steady (real login lines of every shipped profile, each address always the same user)',
    lines: () => steady.length,
    message: (i) => steady[i % steady.length],
    prepare: async () => {
      steady = steadyLines(await shippedProfiles()).map(String).filter((line) => !line.includes('\n'));
    },
  },
};

/** Writes a mix's messages file (each heartbeat address once per cycle); returns its path. */
export async function writeMix(dir, mix, addresses = ADDRESSES) {
  await MIXES[mix].prepare?.();
  const { lines, message } = MIXES[mix];
  const path = join(dir, `${mix}-${addresses}.txt`);
  const out = createWriteStream(path);
  const total = lines(addresses);
  let chunk = '';
  for (let i = 0; i < total; i++) {
    chunk += `${message(i, addresses)}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  return path;
}

/** Average message size of a mix, in bytes. */
export function averageBytes(mix, addresses = ADDRESSES) {
  const { lines, message } = MIXES[mix];
  const n = Math.min(lines(addresses), 10_000);
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes += Buffer.byteLength(message(i, addresses));
  return Math.round(bytes / n);
}
