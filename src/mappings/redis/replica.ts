/**
 * A listener's local copy of the shared table: what every lookup reads (no network round
 * trip on the hot path, DESIGN §5). It changes only by `apply`, in change-stream order, or
 * by `load` (the whole table at start, or after a gap in the stream). Reads are O(1) by IP
 * and by user and page in HashOrder, as the in-memory table does.
 */
import { HashOrder } from '../hash-order.js';
import { pageInOrder } from '../paging.js';
import type { Mapping, MappingChange, MappingPage } from '../table.js';
import { UserIndex } from '../user-index.js';

export class Replica {
  #entries = new Map<string, Mapping>();
  #users = new UserIndex();
  #order = new HashOrder();

  get size(): number {
    return this.#entries.size;
  }

  /** The mapping held for `ip`, whatever its time (the scripts decide expiry). */
  peek(ip: string): Mapping | undefined {
    return this.#entries.get(ip);
  }

  get(ip: string, now: number): Mapping | undefined {
    const mapping = this.#entries.get(ip);
    return mapping !== undefined && mapping.expiresAt > now ? mapping : undefined;
  }

  byUser(user: string, now: number): readonly Mapping[] {
    const found: Mapping[] = [];
    for (const ip of this.#users.ips(user)) {
      const mapping = this.get(ip, now);
      if (mapping !== undefined) found.push(mapping);
    }
    return found;
  }

  page(cursor: string | undefined, limit: number, now: number): MappingPage {
    return pageInOrder(this.#order, (ip) => this.get(ip, now), cursor, limit);
  }

  apply(change: MappingChange): void {
    switch (change.kind) {
      case 'added':
      case 'refreshed':
      case 'user-changed':
        this.#set(change.mapping);
        break;
      default:
        this.#remove(change.mapping.ip);
    }
  }

  /** Replaces everything with `mappings` (one per IP). */
  load(mappings: Iterable<Mapping>): void {
    this.#entries = new Map();
    this.#users = new UserIndex();
    this.#order = new HashOrder();
    for (const mapping of mappings) this.#set(mapping);
  }

  #set(mapping: Mapping): void {
    const before = this.#entries.get(mapping.ip);
    if (before === undefined) this.#order.add(mapping.ip);
    else if (before.user !== mapping.user) this.#users.remove(before.user, before.ip);
    this.#entries.set(mapping.ip, mapping);
    this.#users.add(mapping.user, mapping.ip);
  }

  #remove(ip: string): void {
    const before = this.#entries.get(ip);
    if (before === undefined) return;
    this.#entries.delete(ip);
    this.#users.remove(before.user, ip);
    this.#order.remove(ip);
  }
}
