/**
 * The behaviour every MappingTable must have (STYLE §5: one interface, one shared suite).
 * The in-memory table runs it now; a shared Valkey/Redis table will run the same suite.
 * Every call is awaited, since an implementation may answer with promises.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Mapping, MappingChange, MappingTable } from '../../src/mappings/table.js';
import { ipsOf, login, logout } from './support.js';

export interface TableHarness {
  readonly table: MappingTable;
  /** Moves the table's clock on by `ms` and lets its timers (the expiry sweep) run. */
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

export type TableFactory = (options: { timeoutMinutes: number; maxEntries: number }) => TableHarness;

const MINUTE = 60_000;

/** Pages through the whole table. */
export async function allPages(table: MappingTable, limit: number): Promise<Mapping[]> {
  const items: Mapping[] = [];
  let cursor: string | undefined;
  do {
    const page = await table.page(cursor, limit);
    items.push(...page.items);
    cursor = page.next;
  } while (cursor !== undefined);
  return items;
}

/** byUser agrees with the table's contents for every user in `users` (any case). */
export async function expectUserIndexConsistent(table: MappingTable, users: readonly string[]): Promise<void> {
  const all = await allPages(table, 1000);
  for (const user of users) {
    const expected = all.filter((m) => m.user.toLowerCase() === user.toLowerCase());
    expect(ipsOf(await table.byUser(user)), `byUser(${user})`).toEqual(ipsOf(expected));
    expect(ipsOf(await table.byUser(user.toUpperCase())), `byUser(${user.toUpperCase()})`).toEqual(ipsOf(expected));
  }
}

export function describeMappingTableContract(name: string, factory: TableFactory): void {
  describe(`${name} (MappingTable contract)`, () => {
    let harness: TableHarness;
    let table: MappingTable;
    let changes: MappingChange[];

    beforeEach(() => {
      harness = factory({ timeoutMinutes: 45, maxEntries: 1000 });
      table = harness.table;
      changes = [];
      table.subscribe((c) => changes.push(c));
    });
    afterEach(() => harness.close());

    it('adds a mapping for a new address', async () => {
      const change = await table.apply(login('10.1.2.3', 'ACME\\jdoe'));
      expect(change?.kind).toBe('added');
      const mapping = await table.get('10.1.2.3');
      expect(mapping).toMatchObject({ ip: '10.1.2.3', user: 'ACME\\jdoe', sender: 'esm', profile: 'traps-esm-leef' });
      expect(mapping!.id).not.toBe('');
      expect(mapping!.firstSeen).toBe(mapping!.lastSeen);
      expect(mapping!.expiresAt - mapping!.lastSeen).toBe(45 * MINUTE);
      expect(table.size).toBe(1);
      expect(changes).toEqual([change]);
    });

    it('refreshes the same user in any case: same id, user as first seen, timeout extended', async () => {
      await table.apply(login('10.1.2.3', 'ACME\\jdoe'));
      const first = (await table.get('10.1.2.3'))!;
      await harness.advance(10 * MINUTE);
      const change = await table.apply(login('10.1.2.3', 'acme\\JDOE'));
      expect(change).toMatchObject({ kind: 'refreshed', newinfo: false });
      const now = (await table.get('10.1.2.3'))!;
      expect(now).toMatchObject({ id: first.id, user: 'ACME\\jdoe', firstSeen: first.firstSeen });
      expect(now.lastSeen - first.lastSeen).toBe(10 * MINUTE);
      expect(now.expiresAt - first.expiresAt).toBe(10 * MINUTE);
    });

    it('flags a refresh with another sender or profile as newinfo and keeps the newest', async () => {
      await table.apply(login('10.1.2.3', 'jdoe'));
      expect(await table.apply(login('10.1.2.3', 'jdoe', { sender: 'nac' }))).toMatchObject({ kind: 'refreshed', newinfo: true });
      expect(await table.apply(login('10.1.2.3', 'jdoe', { sender: 'nac' }))).toMatchObject({ kind: 'refreshed', newinfo: false });
      expect(await table.apply(login('10.1.2.3', 'jdoe', { sender: 'nac', profile: 'vpn' }))).toMatchObject({ kind: 'refreshed', newinfo: true });
      expect(await table.get('10.1.2.3')).toMatchObject({ sender: 'nac', profile: 'vpn' });
    });

    it('reports another user taking the address as user-changed with a new id', async () => {
      await table.apply(login('10.1.2.3', 'jdoe'));
      const before = (await table.get('10.1.2.3'))!;
      const change = await table.apply(login('10.1.2.3', 'asmith'));
      expect(change).toMatchObject({ kind: 'user-changed', previous: before, mapping: { user: 'asmith' } });
      const after = (await table.get('10.1.2.3'))!;
      expect(after.id).not.toBe(before.id);
      expect(table.size).toBe(1);
      await expectUserIndexConsistent(table, ['jdoe', 'asmith']);
    });

    it('removes on a logout naming the mapped user, in any case', async () => {
      await table.apply(login('10.1.2.3', 'ACME\\jdoe'));
      const mapping = await table.get('10.1.2.3');
      const change = await table.apply(logout('10.1.2.3', 'acme\\jdoe'));
      expect(change).toEqual({ kind: 'removed', mapping, reason: 'logout' });
      expect(await table.get('10.1.2.3')).toBeUndefined();
      expect(await table.byUser('ACME\\jdoe')).toEqual([]);
      expect(table.size).toBe(0);
    });

    it('ignores a logout naming another user, or an unmapped address', async () => {
      await table.apply(login('10.1.2.3', 'jdoe'));
      expect(await table.apply(logout('10.1.2.3', 'asmith'))).toBeNull();
      expect(await table.apply(logout('10.9.9.9', 'jdoe'))).toBeNull();
      expect(await table.get('10.1.2.3')).toMatchObject({ user: 'jdoe' });
      expect(changes.map((c) => c.kind)).toEqual(['added']);
    });

    it('deletes on admin request', async () => {
      await table.apply(login('2001:db8::1', 'jdoe'));
      const mapping = await table.get('2001:db8::1');
      expect(await table.delete('2001:db8::1')).toEqual({ kind: 'removed', mapping, reason: 'admin' });
      expect(await table.delete('2001:db8::1')).toBeNull();
      expect(await table.byUser('jdoe')).toEqual([]);
    });

    it('reports expiry without anyone reading the entry, and a refresh postpones it', async () => {
      await table.apply(login('10.0.0.1', 'jdoe'));
      await table.apply(login('10.0.0.2', 'asmith'));
      await harness.advance(40 * MINUTE);
      await table.apply(login('10.0.0.2', 'asmith'));
      await harness.advance(5 * MINUTE + 2000);
      expect(changes.filter((c) => c.kind === 'expired').map((c) => c.mapping.ip)).toEqual(['10.0.0.1']);
      expect(await table.get('10.0.0.2')).toBeDefined();
      await harness.advance(40 * MINUTE + 2000);
      expect(changes.filter((c) => c.kind === 'expired').map((c) => c.mapping.ip)).toEqual(['10.0.0.1', '10.0.0.2']);
      expect(table.size).toBe(0);
      await expectUserIndexConsistent(table, ['jdoe', 'asmith']);
    });

    describe('timeouts per mapping (DESIGN §5)', () => {
      const expiredIps = () => changes.filter((c) => c.kind === 'expired').map((c) => c.mapping.ip);

      it('gives a mapping the timeout its event asks for, and the default otherwise', async () => {
        await table.apply(login('10.0.0.1', 'jdoe', { timeoutMs: 10 * MINUTE }));
        await table.apply(login('10.0.0.2', 'asmith'));
        const own = (await table.get('10.0.0.1'))!;
        expect(own.timeoutMs).toBe(10 * MINUTE);
        expect(own.expiresAt - own.lastSeen).toBe(10 * MINUTE);
        expect((await table.get('10.0.0.2'))!.timeoutMs).toBe(45 * MINUTE);
        await harness.advance(10 * MINUTE + 2000);
        expect(expiredIps()).toEqual(['10.0.0.1']);
        expect(await table.get('10.0.0.1')).toBeUndefined();
        expect(await table.get('10.0.0.2')).toBeDefined();
      });

      it('expires each mapping once, at its own time, whatever the order they came in', async () => {
        await table.apply(login('10.0.0.1', 'a', { timeoutMs: 30 * MINUTE }));
        await table.apply(login('10.0.0.2', 'b', { timeoutMs: 5 * MINUTE }));
        await table.apply(login('10.0.0.3', 'c')); // 45 minutes
        await table.apply(login('10.0.0.4', 'd', { timeoutMs: 1 * MINUTE }));
        await harness.advance(2 * MINUTE);
        expect(expiredIps()).toEqual(['10.0.0.4']);
        await harness.advance(4 * MINUTE);
        expect(expiredIps()).toEqual(['10.0.0.4', '10.0.0.2']);
        await harness.advance(25 * MINUTE);
        expect(expiredIps()).toEqual(['10.0.0.4', '10.0.0.2', '10.0.0.1']);
        await harness.advance(15 * MINUTE);
        expect(expiredIps()).toEqual(['10.0.0.4', '10.0.0.2', '10.0.0.1', '10.0.0.3']);
        expect(table.size).toBe(0);
        await expectUserIndexConsistent(table, ['a', 'b', 'c', 'd']);
      });

      it('keeps a mapping with timeout 0 until logout: expiresAt is Infinity and the sweep never takes it', async () => {
        await table.apply(login('10.0.0.1', 'jdoe', { timeoutMs: 0 }));
        expect(await table.get('10.0.0.1')).toMatchObject({ timeoutMs: 0, expiresAt: Number.POSITIVE_INFINITY });
        await harness.advance(24 * 60 * MINUTE);
        expect(expiredIps()).toEqual([]);
        expect(await table.get('10.0.0.1')).toBeDefined();
        expect(await allPages(table, 10)).toHaveLength(1);
        expect(await table.apply(logout('10.0.0.1', 'jdoe'))).toMatchObject({ kind: 'removed', reason: 'logout' });
        expect(table.size).toBe(0);
      });

      it('re-applies the refreshing event\'s timeout: shorter, longer, until logout and back', async () => {
        await table.apply(login('10.0.0.1', 'jdoe')); // 45 minutes
        await harness.advance(2000);
        expect(await table.apply(login('10.0.0.1', 'jdoe', { timeoutMs: 5 * MINUTE }))).toMatchObject({ kind: 'refreshed', newinfo: true });
        const shorter = (await table.get('10.0.0.1'))!;
        expect(shorter.expiresAt - shorter.lastSeen).toBe(5 * MINUTE);
        await harness.advance(4 * MINUTE);
        await table.apply(login('10.0.0.1', 'jdoe', { timeoutMs: 0 }));
        await harness.advance(60 * MINUTE);
        expect(expiredIps()).toEqual([]);
        await table.apply(login('10.0.0.1', 'jdoe', { timeoutMs: 20 * MINUTE }));
        const back = (await table.get('10.0.0.1'))!;
        expect(back).toMatchObject({ timeoutMs: 20 * MINUTE, expiresAt: back.lastSeen + 20 * MINUTE });
        await harness.advance(19 * MINUTE);
        expect(expiredIps()).toEqual([]);
        await harness.advance(1 * MINUTE + 2000);
        expect(expiredIps()).toEqual(['10.0.0.1']);
      });

      it('extends a short-lived mapping by a refresh with a longer timeout, and expires it once', async () => {
        await table.apply(login('10.0.0.1', 'jdoe', { timeoutMs: 2 * MINUTE }));
        await harness.advance(1 * MINUTE);
        await table.apply(login('10.0.0.1', 'jdoe', { timeoutMs: 30 * MINUTE }));
        await harness.advance(5 * MINUTE);
        expect(await table.get('10.0.0.1')).toBeDefined();
        await harness.advance(26 * MINUTE + 2000);
        expect(expiredIps()).toEqual(['10.0.0.1']);
      });

      it('gives a new user at the address the timeout of the event that brought it', async () => {
        await table.apply(login('10.0.0.1', 'jdoe', { timeoutMs: 0 }));
        expect(await table.apply(login('10.0.0.1', 'asmith', { timeoutMs: 3 * MINUTE }))).toMatchObject({ kind: 'user-changed' });
        await harness.advance(3 * MINUTE + 2000);
        expect(changes.filter((c) => c.kind === 'expired').map((c) => c.mapping.user)).toEqual(['asmith']);
      });
    });

    it('finds every address of a user, case-insensitively, through every change', async () => {
      await table.apply(login('10.0.0.1', 'ACME\\jdoe'));
      await table.apply(login('10.0.0.2', 'acme\\JDoe'));
      await table.apply(login('10.0.0.3', 'acme\\jdoe'));
      await table.apply(login('10.0.0.4', 'asmith'));
      expect(ipsOf(await table.byUser('Acme\\JDOE'))).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
      // Each address keeps the spelling it was first seen with.
      expect((await table.byUser('acme\\jdoe')).map((m) => m.user).sort()).toEqual(['ACME\\jdoe', 'acme\\JDoe', 'acme\\jdoe']);
      await table.apply(login('10.0.0.2', 'asmith'));
      await table.apply(logout('10.0.0.3', 'ACME\\JDOE'));
      await table.delete('10.0.0.4');
      await expectUserIndexConsistent(table, ['acme\\jdoe', 'asmith', 'nobody']);
      expect(ipsOf(await table.byUser('acme\\jdoe'))).toEqual(['10.0.0.1']);
      expect(ipsOf(await table.byUser('asmith'))).toEqual(['10.0.0.2']);
    });

    it('pages without skipping or repeating entries that stay, while others come and go', async () => {
      for (let i = 1; i <= 40; i++) await table.apply(login(`10.0.1.${i}`, `user${i}`));
      const staying = new Set<string>();
      for (let i = 1; i <= 40; i++) if (i % 4 !== 0) staying.add(`10.0.1.${i}`);
      const seen: string[] = [];
      let cursor: string | undefined;
      let round = 0;
      do {
        const page = await table.page(cursor, 7);
        expect(page.items.length).toBeLessThanOrEqual(7);
        seen.push(...page.items.map((m) => m.ip));
        cursor = page.next;
        // Between pages: remove some, add new ones, refresh and replace the staying ones.
        round++;
        await table.delete(`10.0.1.${round * 4}`);
        await table.apply(login(`10.0.2.${round}`, 'newcomer'));
        await table.apply(login(`10.0.1.${round * 4 - 1}`, `user${round * 4 - 1}`, { sender: 'nac' }));
      } while (cursor !== undefined);
      expect(new Set(seen).size).toBe(seen.length);
      for (const ip of staying) expect(seen).toContain(ip);
    });

    it('ends paging with no cursor, and refuses a cursor it did not issue', async () => {
      for (let i = 1; i <= 5; i++) await table.apply(login(`10.0.1.${i}`, 'jdoe'));
      const whole = await table.page(undefined, 5);
      expect(whole.items).toHaveLength(5);
      expect(whole.next).toBeUndefined();
      const first = await table.page(undefined, 2);
      expect(first.next).toBeTypeOf('string');
      expect(ipsOf(await allPages(table, 2))).toEqual(ipsOf(whole.items));
      await expect(async () => table.page('not a cursor!', 2)).rejects.toMatchObject({ code: 'UID_ERR_HTTP_BAD_REQUEST' });
    });

    it('isolates a throwing listener from the table and the other listeners', async () => {
      const after: MappingChange[] = [];
      table.subscribe(() => {
        throw new Error('sink failed');
      });
      table.subscribe((c) => after.push(c));
      const change = await table.apply(login('10.1.2.3', 'jdoe'));
      expect(change?.kind).toBe('added');
      expect(after).toEqual([change]);
      expect(changes).toEqual([change]);
      expect(await table.get('10.1.2.3')).toBeDefined();
    });

    it('stops calling a listener once unsubscribed', async () => {
      const seen: MappingChange[] = [];
      const unsubscribe = table.subscribe((c) => seen.push(c));
      await table.apply(login('10.1.2.3', 'jdoe'));
      unsubscribe();
      await table.apply(login('10.1.2.4', 'jdoe'));
      expect(seen.map((c) => c.mapping.ip)).toEqual(['10.1.2.3']);
    });
  });
}
