/** The accounting panel: each TACACS+ group's state, spool depth and last error, and its servers (GET /v1/accounting). */
import { fill, h, byId, count, when } from './dom.js';

interface Server { host: string; port: number; transport: string; state: string; lastErrorAt: string | null; lastError: string | null }
interface Group { name: string; currentServer: string | null; state: string; queueDepth: number; lastError: string | null; servers: Server[] }
export interface AccountingStatus { mode: string; sessionsTotal: number; groups: Group[] }

const STATE_CLASS: Readonly<Record<string, string>> = { up: 'ok', connected: 'ok', idle: 'ok', 'failing-over': 'warn', unknown: 'warn', down: 'bad', failed: 'bad' };

const pill = (state: string) => h('span', { class: `pill ${STATE_CLASS[state] ?? 'warn'}` }, state);

export function renderAccounting(status: AccountingStatus | null): void {
  const out = byId('accounting-body');
  if (!status) {
    fill(out, h('p', { class: 'muted' }, 'Accounting is off (accounting.mode: none).'));
    return;
  }
  fill(out,
    h('p', {}, `Mode ${status.mode}, ${count(status.sessionsTotal)} accounted sessions.`),
    ...status.groups.map((g) => h('div', { class: 'group', data: { group: g.name } },
      h('h3', {}, g.name, ' ', pill(g.state), h('span', { class: 'muted' }, ` spool ${count(g.queueDepth)}`, g.currentServer ? ` · sending to ${g.currentServer}` : '')),
      g.lastError ? h('p', { class: 'error' }, g.lastError) : null,
      h('table', {}, h('tbody', {}, ...g.servers.map((s) => h('tr', {},
        h('td', { class: 'mono' }, `${s.host}:${s.port}`), h('td', {}, s.transport), h('td', {}, pill(s.state)),
        h('td', {}, s.lastError ? h('span', { class: 'error' }, s.lastError, ' ', s.lastErrorAt ? when(s.lastErrorAt) : '') : ''))))))));
}
