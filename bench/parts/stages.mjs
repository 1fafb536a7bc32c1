/**
 * Where ingest time goes (issue 13 item 3): the listener's per-message path taken apart
 * in-process, one core, on two mixes, by cumulative prefixes: each row runs the path up
 * to and including its stage, so a stage's own cost is its row minus the one above.
 *
 *   admit       sender lookup by address and transport, trailing-LF trim (udp.ts): what the
 *               listener does to decode a datagram (it parses no syslog header)
 *   prefilter   + the literal scan over every profile's literal (literal-scan.ts) alone
 *   identify    + the rest of the sender's matcher: event regexes where a literal was found,
 *                 user and address captures
 *   normalise   + default domain, ignoreUsers, networks
 *   table       + MemoryMappingTable.apply (no listener)
 *   event ring  + the change delivered to the SSE ring (GET /v1/events)
 *   accounting  + and to the accountant (records built and queued to a spool on disk; its
 *                 group acknowledges at once)
 *
 * What is not here: node:dgram's receive (the udp part races a bare receiver: that is the
 * bound) and the kernel. Mixes: the udp part's realistic mix (10% ESM heartbeats, 90% other
 * syslog no profile wants), and an all-identity steady mix: every positive sample line of
 * every shipped profile (real devices' messages), each always mapping the same user at the
 * same address, from a sender with a default domain that may use every profile (the
 * steady case of a busy NAC: refreshes, nearly no changes).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { micros, table } from '../lib/figures.mjs';
import { load } from '../lib/machine.mjs';
import { shippedProfiles, steadyLines } from '../lib/steady.mjs';
import { esmMessage, otherMessage } from '../lib/traffic.mjs';

const STAGES = ['admit', 'prefilter', 'identify', 'normalise', 'table', 'event ring', 'accounting'];
const REMOTE = '127.0.0.1';

export default {
  name: 'stages',
  title: 'Ingest per stage: where the time goes (in-process, one core)',
  async run(ctx) {
    const dist = (path) => import(`../../dist/${path}`);
    const [{ SenderTable }, { trimmedEnd }, { LiteralScanner }, { createNormaliser }, { MemoryMappingTable }, { Accountant }, { EventStreams, EVENT_STREAM_DEFAULTS }] =
      await Promise.all([dist('syslog/senders.js'), dist('syslog/framing.js'), dist('identify/literal-scan.js'),
        dist('identify/normalise.js'), dist('mappings/memory-table.js'), dist('accounting/accountant.js'), dist('http/event-streams.js')]);
    const profiles = await shippedProfiles();
    // The literals the matcher of a sender with every profile scans for (matcher.ts: distinct, two bytes or more).
    const literals = [...new Map(profiles.names.map((name) => profiles.profile(name).literal).filter((l) => l !== null && LiteralScanner.usable(l))
      .map((l) => [l.toString('latin1'), l])).values()];
    const scanner = new LiteralScanner(literals);
    const found = new Uint8Array(literals.length);

    const steady = steadyLines(profiles);
    const esm = Array.from({ length: 4096 }, (_, i) => esmMessage(i));
    const mixes = [
      ['realistic (10% ESM, 90% other)', Array.from({ length: 40_960 }, (_, i) => Buffer.from(i % 10 === 0 ? esm[(i / 10) % esm.length] : otherMessage(i)))],
      [`all-identity steady (${steady.length} real sample lines, every profile)`, Array.from({ length: 40_960 }, (_, i) => steady[i % steady.length])],
    ];
    const senders = new SenderTable([{ name: 'nac', address: '127.0.0.0/8', transports: ['udp'], defaultDomain: 'ACME' }]);
    const rounds = ctx.smoke ? 1 : 5;
    const roundMs = ctx.smoke ? 50 : 400;
    const dir = mkdtempSync(join(tmpdir(), 'uid-bench-stages-'));
    const rows = [];
    const figures = {};
    try {
      for (const [label, messages] of mixes) {
        const path = await pipeline(dir, label);
        let previous = 0;
        for (const stage of STAGES) {
          const ns = nsPerMessage(messages, path.upTo(stage), rounds, roundMs);
          rows.push([label, stage, micros(ns / 1000), micros(Math.max(0, ns - previous) / 1000), `${Math.round(1e9 / ns / 1000)}k/s`]);
          (figures[label] ??= {})[stage] = ns;
          previous = ns;
        }
        if (path.mapped() === 0) throw new Error(`${label}: nothing mapped`);
        await path.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return {
      tables: [{ caption: `${profiles.names.length} shipped profiles; each row is the path up to that stage`, markdown: table(['mix', 'up to stage', 'per message', 'this stage', 'msg/s'], rows) }],
      notes: [`Best of ${rounds} rounds of ${roundMs} ms per row; load ${load().toFixed(1)} at the end. The table and the accountant persist across rows and mixes, ` +
        'so after the first pass every mapped message is a refresh of a mapping already there (the steady case).'],
      figures,
    };

    /** The listener's path with a table and sinks of its own; `upTo(stage)` runs it to there. */
    async function pipeline(root, label) {
      const table = new MemoryMappingTable({ timeoutMinutes: 45, maxEntries: 1_000_000 });
      // The sinks subscribe to a gate that passes changes on to the first `open` of them: the ring, then the accountant.
      const sinks = [];
      let open = 0;
      table.subscribe((change) => { for (let i = 0; i < open; i++) sinks[i](change); });
      const gate = { subscribe: (listener) => { sinks.push(listener); return () => {}; } };
      const streams = new EventStreams(gate, EVENT_STREAM_DEFAULTS, () => {});
      const accountant = new Accountant({
        config: { mode: 'start-stop', update: { newinfo: true, periodicMinutes: 0 }, suppressNullUsername: true, timezone: 'UTC',
          spool: join(root, label.replace(/\W+/g, '-')), spoolMaxBytes: 1 << 30 },
        groups: [{ name: 'bench', send: () => Promise.resolve() }],
        table: gate,
      });
      await accountant.start();
      const normalise = createNormaliser({ ignoreUsers: ['svc_*'], includeNetworks: [], excludeNetworks: [] });
      let sender;
      let mapped = 0;
      let sink = 0;
      const admit = (data) => {
        sender = senders.lookup(REMOTE, 'udp');
        const end = trimmedEnd(data, 0, data.length);
        return end === data.length ? data : data.subarray(0, end);
      };
      const matched = (emit) => (data) => {
        const message = admit(data);
        profiles.forSender(sender).match(message, sender, emit);
      };
      const toNormalise = (event) => { if (normalise(event, sender) !== null) sink++; };
      const toTable = (event) => {
        const normalised = normalise(event, sender);
        if (normalised !== null && table.apply(normalised) !== null) mapped++;
      };
      return {
        upTo(stage) {
          open = stage === 'event ring' ? 1 : stage === 'accounting' ? 2 : 0;
          switch (stage) {
            case 'admit': return (data) => { sink += admit(data).length; };
            case 'prefilter': return (data) => { if (scanner.scan(admit(data), found) > 0) { sink++; found.fill(0); } };
            case 'identify': return matched(() => { sink++; });
            case 'normalise': return matched(toNormalise);
            default: return matched(toTable);
          }
        },
        mapped: () => mapped,
        async close() {
          streams.close();
          await accountant.stop();
          table.close();
        },
      };
    }
  },
};

/** Best ns per message over rounds of `roundMs`. */
function nsPerMessage(messages, once, rounds, roundMs) {
  let best = Infinity;
  for (let round = 0; round < rounds; round++) {
    let n = 0;
    const began = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < roundMs * 1e6) {
      for (let i = 0; i < messages.length; i++) once(messages[i]);
      n += messages.length;
      elapsed = Number(process.hrtime.bigint() - began);
    }
    best = Math.min(best, elapsed / n);
  }
  return best;
}
