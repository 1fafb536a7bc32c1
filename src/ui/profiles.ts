/** The profiles panel: hits per parse profile (`uid_identity_events_total{profile,event}`) and why messages gave nothing. */
import { count, fill, h, byId } from './dom.js';
import { named, type Sample } from './prometheus.js';

export function renderProfiles(samples: readonly Sample[]): void {
  const rows = named(samples, 'uid_identity_events_total').sort((a, b) => b.value - a.value || (a.labels['profile'] ?? '').localeCompare(b.labels['profile'] ?? ''));
  fill(byId('profile-rows'), ...rows.map((s) => h('tr', { data: { profile: s.labels['profile'] ?? '' }, ...(s.value === 0 ? { class: 'idle' } : {}) },
    h('td', {}, s.labels['profile'] ?? ''), h('td', {}, s.labels['event'] ?? ''), h('td', { class: 'num' }, count(s.value)))));
  const dropped = named(samples, 'uid_identity_dropped_total').filter((s) => s.value > 0).sort((a, b) => b.value - a.value);
  fill(byId('dropped'), dropped.length === 0 ? '' : `Gave no mapping: ${dropped.map((s) => `${(s.labels['reason'] ?? '').replaceAll('_', ' ')} ${count(s.value)}`).join(' · ')}`);
}
