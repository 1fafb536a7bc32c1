/**
 * The identify stage alone (a micro-benchmark, one core): messages/s through
 * ProfileSet.forSender(...).match with every shipped profile loaded, and the whole identify
 * pipeline (match, normalise, per-sender counting) as ingestion runs it, beside in-process
 * baselines on the same messages: Buffer.indexOf of the event literal (the least a
 * prefilter can do) and a plain JS implementation (toString + three JS RegExps). Each
 * figure is the best of several rounds.
 */
import { kilo, ratio, table } from '../lib/figures.mjs';
import { load } from '../lib/machine.mjs';
import { esmMessage, otherMessage } from '../lib/traffic.mjs';

/** The first round's 14 profiles (all still shipped): the reference for the prefilter's cost with many more loaded (issue 11 item 6). */
export const FIRST_ROUND = ['aruba-controller-auth', 'cisco-asa-anyconnect', 'cisco-asa-ikev2', 'cisco-ise-radius-accounting-start',
  'cisco-ise-radius-accounting-stop', 'fortigate-sslvpn-tunnel-down', 'fortigate-sslvpn-tunnel-up', 'openvpn-multi-learn', 'panos-doc-example',
  'pulse-vpn-session-ended', 'pulse-vpn-session-started', 'traps-esm-leef', 'windows-4624-nxlog-json', 'windows-4624-snare'];

export default {
  name: 'identify',
  title: 'Identify stage alone: profile matching (micro)',
  async run(ctx) {
    const { loadProfiles } = await import('../../dist/config/profiles.js');
    const { PROFILES } = await import('../lib/listener.mjs');
    const { IdentifyPipeline } = await import('../../dist/identify/pipeline.js');
    const { profiles: set, issues } = await loadProfiles(PROFILES);
    if (issues.length > 0) throw new Error(`profiles/ has issues: ${issues.map((i) => i.message).join('; ')}`);
    const rounds = ctx.smoke ? 1 : 5;
    const roundMs = ctx.smoke ? 50 : 400;
    const esm = Array.from({ length: 4096 }, (_, i) => Buffer.from(esmMessage(i)));
    const mixed = esm.map((m, i) => (i % 10 === 0 ? m : Buffer.from(otherMessage(i))));
    const esmSender = { name: 'esm', address: '10.0.0.5', transports: ['udp'], profiles: ['traps-esm-leef'] };
    const anySender = { name: 'any', address: '10.0.0.6', transports: ['udp'] };
    let sink = 0;
    const emit = () => { sink++; };
    const rate = (messages, once) => {
      let best = 0;
      for (let round = 0; round < rounds; round++) {
        let n = 0;
        const began = performance.now();
        let now = began;
        while (now - began < roundMs) {
          for (let i = 0; i < messages.length; i++) once(messages[i]);
          n += messages.length;
          now = performance.now();
        }
        best = Math.max(best, (n * 1000) / (now - began));
      }
      return best;
    };
    const literal = Buffer.from('Service is alive');
    const jsEvent = /Service is alive/;
    const jsUser = /duser=([a-zA-Z0-9_]+)/;
    const jsAddress = /dst=([A-F0-9a-f:.]+)/g;
    const baselines = {
      'Buffer.indexOf of the literal only': (m) => { if (m.indexOf(literal) !== -1) sink++; },
      'toString + 3 JS RegExps (one profile)': (m) => {
        const s = m.toString();
        if (!jsEvent.test(s)) return;
        const user = jsUser.exec(s);
        if (!user) return;
        jsAddress.lastIndex = 0;
        for (let a = jsAddress.exec(s); a !== null; a = jsAddress.exec(s)) sink += user[1].length + a[1].length;
      },
    };
    const matcherOf = (sender) => { const m = set.forSender(sender); return (data) => m.match(data, sender, emit); };
    const firstRound = FIRST_ROUND.filter((name) => set.profile(name) !== undefined); // should one be renamed one day
    const diagnose = (strategy, names) => { const { matcher } = set.diagnose(names, strategy); return (data) => matcher.match(data, anySender, emit); };
    // What ingestion runs per message: the matcher above, then normalise and the per-sender counts (issue 11 item 6).
    const pipeline = new IdentifyPipeline({
      profiles: set, mappings: { ignoreUsers: [], includeNetworks: [], excludeNetworks: [] }, senders: [anySender],
      clock: { now: Date.now() }, sink: emit, diagnostic: true,
    });
    const subjects = {
      'match, ESM sender (1 profile)': matcherOf(esmSender),
      [`match, any sender (${firstRound.length} profiles of the first round, literal scan)`]: diagnose('set', firstRound),
      [`match, any sender (${set.names.length} profiles, literal scan)`]: diagnose('set'),
      [`match, any sender (${set.names.length} profiles, indexOf per profile)`]: diagnose('literal'),
      [`identify pipeline, any sender (${set.names.length} profiles: match, normalise, per-sender counts)`]: (data) => pipeline.handle(data, anySender),
    };
    const rows = [];
    const figures = {};
    const machineLoad = load();
    for (const [workload, messages] of [['all ESM heartbeats', esm], ['90% other syslog', mixed]]) {
      const base = Object.fromEntries(Object.entries(baselines).map(([name, fn]) => [name, rate(messages, fn)]));
      for (const [name, value] of Object.entries(base)) rows.push([workload, name, `${kilo(value)}/s`, '', '']);
      for (const [name, fn] of Object.entries(subjects)) {
        const value = rate(messages, fn);
        const [indexOf, js] = Object.values(base);
        rows.push([workload, name, `${kilo(value)}/s`, ratio(value / indexOf), ratio(value / js)]);
        (figures[workload] ??= {})[name] = value;
      }
    }
    if (sink === 0) throw new Error('nothing matched');
    return {
      tables: [{ caption: `${set.names.length} shipped profiles, ~200-byte messages, one core`, markdown: table(['workload', 'what', 'msg/s', 'vs indexOf', 'vs JS RegExps'], rows) }],
      notes: [`Best of ${rounds} rounds of ${roundMs} ms; load ${machineLoad} at the start. The JS baseline does one profile's work on strings; the matcher does every profile the sender may use, on bytes, with RE2's guarantees.`],
      figures,
    };
  },
};
