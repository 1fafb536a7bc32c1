/**
 * The senders panel: the configured senders (GET /v1/senders) joined with their traffic
 * from /metrics — `uid_sender_messages_total{sender,outcome}` and
 * `uid_sender_last_message_seconds{sender}` (a Unix time; a small value is read as an age)
 * — and the quiet senders /healthz names (`senders[]` with `quiet: true`, or
 * `quietSenders: [name]`). Rows fill in as those metrics exist.
 */
import { age, count, fill, h, byId } from './dom.js';
import { named, type Sample } from './prometheus.js';

export interface SenderConfig { name: string; address: string; transports: string[]; profiles: string[] | null }

/** Sender names /healthz reports as quiet, in either shape it may use. */
export function quietSenders(health: unknown): Set<string> {
  const quiet = new Set<string>();
  const h = health as { senders?: unknown; quietSenders?: unknown } | null;
  if (Array.isArray(h?.quietSenders)) for (const name of h.quietSenders) if (typeof name === 'string') quiet.add(name);
  if (Array.isArray(h?.senders)) {
    for (const s of h.senders as { name?: unknown; quiet?: unknown; state?: unknown }[]) {
      if (typeof s?.name === 'string' && (s.quiet === true || s.state === 'quiet')) quiet.add(s.name);
    }
  }
  return quiet;
}

export function renderSenders(configured: readonly SenderConfig[] | undefined, samples: readonly Sample[], health: unknown, nowMs: number): void {
  const outcomes = new Map<string, Map<string, number>>();
  for (const s of named(samples, 'uid_sender_messages_total')) {
    const sender = s.labels['sender'] ?? '';
    const byOutcome = outcomes.get(sender) ?? new Map<string, number>();
    byOutcome.set(s.labels['outcome'] ?? '', (byOutcome.get(s.labels['outcome'] ?? '') ?? 0) + s.value);
    outcomes.set(sender, byOutcome);
  }
  const last = new Map(named(samples, 'uid_sender_last_message_seconds').map((s) => [s.labels['sender'] ?? '', s.value]));
  const quiet = quietSenders(health);
  const names = [...new Set([...(configured ?? []).map((s) => s.name), ...outcomes.keys(), ...last.keys()])];
  const config = new Map((configured ?? []).map((s) => [s.name, s]));

  fill(byId('sender-rows'), ...names.map((name) => {
    const c = config.get(name);
    const counts = [...(outcomes.get(name) ?? new Map<string, number>())].filter(([, n]) => n > 0)
      .map(([outcome, n]) => h('span', { class: outcome === 'accepted' ? 'pill ok' : 'pill warn' }, `${outcome} ${count(n)}`));
    const seen = last.get(name);
    const seconds = seen === undefined || seen === 0 ? undefined : seen > 1e9 ? nowMs / 1000 - seen : seen;
    return h('tr', { data: { sender: name }, ...(quiet.has(name) ? { class: 'quiet' } : {}) },
      h('td', {}, name, quiet.has(name) && h('span', { class: 'pill bad', title: 'no message for longer than its quietAfterMinutes' }, 'quiet')),
      h('td', { class: 'mono' }, c ? `${c.address} (${c.transports.join(', ')})` : ''),
      h('td', {}, ...(counts.length > 0 ? counts : ['—'])),
      h('td', {}, seconds === undefined ? '—' : age(seconds)));
  }));
  fill(byId('sender-note'), names.length === 0 ? 'No senders configured: every message is dropped (see docs/configuration.md, senders).'
    : outcomes.size === 0 ? 'Per-sender counts appear here once this listener exports uid_sender_messages_total.' : '');
}
