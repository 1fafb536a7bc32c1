/**
 * A small MappingTable for the HTTP tests: a Map in insertion order, answering either
 * synchronously or with promises (the seam a shared Valkey/Redis table will use), with a
 * cursor that survives entries added between pages, and `emit` to push any change kind.
 */
import { UidError } from '../../src/errors.js';
import type { IdentityEvent } from '../../src/identify/event.js';
import type {
  ChangeListener, Mapping, MappingChange, MappingPage, MappingTable, MaybePromise,
} from '../../src/mappings/table.js';

export const T0 = Date.UTC(2024, 0, 15, 8, 30, 0);
const TIMEOUT_MS = 45 * 60_000;

export function mapping(ip: string, user: string, more: Partial<Mapping> = {}): Mapping {
  return { id: `id-${ip}`, ip, user, sender: 'esm', profile: 'traps-esm-leef', firstSeen: T0, lastSeen: T0, expiresAt: T0 + TIMEOUT_MS, timeoutMs: TIMEOUT_MS, ...more };
}

export class TableDouble implements MappingTable {
  private readonly entries = new Map<string, { mapping: Mapping; seq: number }>();
  private readonly listeners = new Set<ChangeListener>();
  private seq = 0;

  constructor(private readonly answerAsync = false) {}

  private answer<T>(value: T): MaybePromise<T> {
    return this.answerAsync ? Promise.resolve(value) : value;
  }

  /** Puts a mapping in (replacing any for its IP) and reports `added`. */
  put(m: Mapping): void {
    this.entries.delete(m.ip);
    this.entries.set(m.ip, { mapping: m, seq: ++this.seq });
    this.emit({ kind: 'added', mapping: m });
  }

  emit(change: MappingChange): void {
    for (const listener of this.listeners) listener(change);
  }

  apply(event: IdentityEvent): MaybePromise<MappingChange | null> {
    const current = this.entries.get(event.ip)?.mapping;
    let change: MappingChange | null = null;
    if (event.event === 'logout') {
      if (current && current.user.toLowerCase() === event.user.toLowerCase()) {
        this.entries.delete(event.ip);
        change = { kind: 'removed', mapping: current, reason: 'logout' };
      }
    } else if (current && current.user.toLowerCase() === event.user.toLowerCase()) {
      const refreshed = { ...current, sender: event.sender, profile: event.profile };
      this.entries.get(event.ip)!.mapping = refreshed;
      change = { kind: 'refreshed', mapping: refreshed, newinfo: current.sender !== event.sender || current.profile !== event.profile };
    } else {
      const added = mapping(event.ip, event.user, { sender: event.sender, profile: event.profile });
      this.entries.delete(event.ip);
      this.entries.set(event.ip, { mapping: added, seq: ++this.seq });
      change = current ? { kind: 'user-changed', mapping: added, previous: current } : { kind: 'added', mapping: added };
    }
    if (change) this.emit(change);
    return this.answer(change);
  }

  get(ip: string): MaybePromise<Mapping | undefined> {
    return this.answer(this.entries.get(ip)?.mapping);
  }

  byUser(user: string): MaybePromise<readonly Mapping[]> {
    const wanted = user.toLowerCase();
    return this.answer([...this.entries.values()].map((e) => e.mapping).filter((m) => m.user.toLowerCase() === wanted));
  }

  /** Cursor = the insertion number of the last entry returned; later insertions come later. */
  page(cursor: string | undefined, limit: number): MaybePromise<MappingPage> {
    const after = cursor === undefined ? 0 : Number(cursor);
    if (!Number.isInteger(after) || after < 0) throw new UidError('UID_ERR_HTTP_BAD_REQUEST', 'invalid paging cursor');
    const rest = [...this.entries.values()].filter((e) => e.seq > after).sort((a, b) => a.seq - b.seq);
    const items = rest.slice(0, limit);
    const next = rest.length > limit ? String(items[items.length - 1]!.seq) : undefined;
    return this.answer(next === undefined ? { items: items.map((e) => e.mapping) } : { items: items.map((e) => e.mapping), next });
  }

  delete(ip: string): MaybePromise<MappingChange | null> {
    const current = this.entries.get(ip)?.mapping;
    if (!current) return this.answer(null);
    this.entries.delete(ip);
    const change: MappingChange = { kind: 'removed', mapping: current, reason: 'admin' };
    this.emit(change);
    return this.answer(change);
  }

  get size(): number {
    return this.entries.size;
  }

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscribers(): number {
    return this.listeners.size;
  }
}
