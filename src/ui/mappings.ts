/**
 * The mappings panel: one page of the table, kept live from the change stream (no reload),
 * and a search by address (GET /v1/mappings/{ip}, with its audit history when the trail is
 * on) or by user (GET /v1/mappings?user=). At most MAX_KEPT mappings are held, the most
 * recently changed, and the newest MAX_SHOWN are drawn, once per animation frame at most.
 */
import { ApiError, json } from './api.js';
import { byId, count, fill, h, when } from './dom.js';
import type { ServerEvent } from './sse.js';

interface Mapping { ip: string; user: string; sender: string; profile: string; firstSeen: string; lastSeen: string; expiresAt: string }
interface ChangeEvent { kind: string; reason: string; mapping: Mapping; previous?: Mapping }
interface HistoryEntry { time: string; kind: string; reason: string; user: string; oldUser: string | null; sender: string; profile: string }

const PAGE = 1000;
const MAX_KEPT = 5000;
const MAX_SHOWN = 200;
const ENDS = new Set(['removed', 'expired', 'evicted']);
const LOOKS_LIKE_IP = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)$/;

function row(m: Mapping, fresh = false): HTMLTableRowElement {
  return h('tr', { data: { ip: m.ip }, ...(fresh ? { class: 'fresh' } : {}) },
    h('td', { class: 'mono' }, m.ip), h('td', {}, m.user), h('td', {}, m.sender), h('td', {}, m.profile),
    h('td', {}, when(m.lastSeen)), h('td', {}, when(m.expiresAt)));
}

function table(head: string[], rows: HTMLTableRowElement[]): HTMLTableElement {
  return h('table', {}, h('thead', {}, h('tr', {}, ...head.map((t) => h('th', {}, t)))), h('tbody', {}, ...rows));
}

export class MappingsPanel {
  /** ip → mapping, in order of last change (newest last). */
  readonly #rows = new Map<string, Mapping>();
  #drawPending = false;
  /** Addresses changed since the last draw: their rows are highlighted once. */
  readonly #fresh = new Set<string>();
  #search: string | undefined;
  #total: number | undefined;
  /** Set while a page of the table is loading: changes wait here. */
  #queue: ServerEvent[] | undefined;

  constructor() {
    byId('search-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const query = byId<HTMLInputElement>('search').value.trim();
      this.#search = query || undefined;
      void this.#runSearch();
    });
    // A row of the table opens that address in the search (its history, when the trail is on).
    byId('mapping-rows').addEventListener('click', (event) => {
      const ip = (event.target as Element).closest('tr')?.dataset['ip'];
      if (!ip) return;
      byId<HTMLInputElement>('search').value = ip;
      this.#search = ip;
      void this.#runSearch();
    });
    byId('search-clear').addEventListener('click', () => {
      byId<HTMLInputElement>('search').value = '';
      this.#search = undefined;
      fill(byId('search-result'));
    });
  }

  /** (Re)loads one page of the table: at start and after a `resync`. */
  async load(): Promise<void> {
    // Changes that arrive while the page is on its way are applied on top of it afterwards:
    // the page may have been read before them.
    const queued: ServerEvent[] = [];
    this.#queue = queued;
    let page: { items: Mapping[] };
    try {
      page = await json<{ items: Mapping[] }>(`/v1/mappings?limit=${PAGE}`);
    } finally {
      if (this.#queue === queued) this.#queue = undefined;
    }
    this.#rows.clear();
    for (const m of [...page.items].sort((a, b) => a.lastSeen.localeCompare(b.lastSeen))) this.#rows.set(m.ip, m);
    for (const event of queued) this.apply(event);
    this.#draw();
  }

  /** The table's size from /healthz, for the heading. */
  set total(n: number) {
    this.#total = n;
    this.#schedule();
  }

  apply(event: ServerEvent): void {
    if (this.#queue) {
      this.#queue.push(event);
      return;
    }
    if (event.type === 'resync') {
      void this.load();
      return;
    }
    let change: ChangeEvent;
    try {
      change = JSON.parse(event.data) as ChangeEvent;
    } catch {
      return;
    }
    const { mapping } = change;
    this.#rows.delete(mapping.ip);
    if (!ENDS.has(change.kind)) {
      this.#rows.set(mapping.ip, mapping);
      this.#fresh.add(mapping.ip);
    }
    // Keep the heading's count right between two /healthz polls.
    if (this.#total !== undefined) this.#total += change.kind === 'added' ? 1 : ENDS.has(change.kind) ? -1 : 0;
    if (this.#rows.size > MAX_KEPT) this.#rows.delete(this.#rows.keys().next().value!);
    this.#schedule();
    const q = this.#search?.toLowerCase();
    if (q && (q === mapping.ip || q === mapping.user.toLowerCase() || q === change.previous?.user.toLowerCase())) void this.#runSearch();
  }

  #schedule(): void {
    if (this.#drawPending) return;
    this.#drawPending = true;
    requestAnimationFrame(() => {
      this.#drawPending = false;
      this.#draw();
    });
  }

  #draw(): void {
    const newest = [...this.#rows.values()].slice(-MAX_SHOWN).reverse();
    fill(byId('mapping-rows'), ...newest.map((m) => row(m, this.#fresh.has(m.ip))));
    this.#fresh.clear();
    const total = this.#total ?? this.#rows.size;
    fill(byId('mapping-count'), `${count(total)} in the table`);
    fill(byId('mapping-note'), newest.length === 0 ? 'No mappings yet: they appear here as senders report logins.'
      : total > newest.length ? `The ${count(newest.length)} most recently changed are shown; search to find any other.` : '');
  }

  async #runSearch(): Promise<void> {
    const query = this.#search;
    const out = byId('search-result');
    if (!query) return;
    try {
      if (LOOKS_LIKE_IP.test(query)) fill(out, ...(await this.#byIp(query)));
      else {
        const { items } = await json<{ items: Mapping[] }>(`/v1/mappings?user=${encodeURIComponent(query)}`);
        fill(out, items.length > 0 ? table(['IP', 'User', 'Sender', 'Profile', 'Last seen', 'Expires'], items.map((m) => row(m)))
          : h('p', { class: 'muted' }, `${query} is not mapped at any address.`));
      }
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      fill(out, h('p', { class: 'error' }, error.message));
    }
  }

  async #byIp(ip: string): Promise<Node[]> {
    let current: Node;
    try {
      current = table(['IP', 'User', 'Sender', 'Profile', 'Last seen', 'Expires'], [row(await json<Mapping>(`/v1/mappings/${encodeURIComponent(ip)}`))]);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 404) throw error;
      current = h('p', { class: 'muted' }, `${ip} is not mapped now.`);
    }
    return [current, await this.#history(ip)];
  }

  async #history(ip: string): Promise<Node> {
    try {
      const { items } = await json<{ items: HistoryEntry[] }>(`/v1/mappings/${encodeURIComponent(ip)}/history?limit=20`);
      if (items.length === 0) return h('p', { class: 'muted' }, 'No history in the audit trail.');
      return h('details', { class: 'history' }, h('summary', {}, `History (${items.length} latest changes, audit trail)`),
        table(['Time', 'Change', 'User', 'Was', 'Sender', 'Profile'], items.map((e) => h('tr', {},
          h('td', {}, when(e.time)), h('td', {}, `${e.kind} (${e.reason})`), h('td', {}, e.user), h('td', {}, e.oldUser ?? ''),
          h('td', {}, e.sender), h('td', {}, e.profile)))));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return h('p', { class: 'muted' }, 'No audit trail (log.audit is off).');
      throw error;
    }
  }
}
