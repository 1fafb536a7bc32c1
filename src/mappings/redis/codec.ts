/**
 * Mappings and changes as the shared table stores them in Redis (keys.ts rules 2 and 4).
 *
 * A mapping is JSON with one-letter names (i id, u user, k user key when it differs from
 * u, s sender, p profile, f firstSeen, l lastSeen, e expiresAt or -1, t timeoutMs): the
 * Lua scripts read and write the same form with cjson. `k` is the case-insensitive user
 * identity computed here (Unicode lower-casing, user-names.ts), since Lua's string.lower
 * only knows ASCII.
 */
import type { Mapping, MappingChange } from '../table.js';

export interface StoredMapping {
  readonly i: string;
  readonly u: string;
  readonly k?: string;
  readonly s: string;
  readonly p: string;
  readonly f: number;
  readonly l: number;
  readonly e: number;
  readonly t: number;
}

export function decodeMapping(ip: string, text: string): Mapping {
  const m = JSON.parse(text) as StoredMapping;
  return {
    id: m.i,
    ip,
    user: m.u,
    sender: m.s,
    profile: m.p,
    firstSeen: m.f,
    lastSeen: m.l,
    expiresAt: m.t > 0 ? m.e : Number.POSITIVE_INFINITY,
    timeoutMs: m.t,
  };
}

/** One stream entry's fields as ioredis returns them: [name, value, name, value, …]. */
export function entryFields(flat: readonly string[]): Map<string, string> {
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i]!, flat[i + 1]!);
  return fields;
}

/** The change one stream entry records, and when it happened (epoch ms, the `t` field). */
export interface LoggedChange {
  readonly change: MappingChange;
  readonly at: number;
}

export function decodeChange(flat: readonly string[]): LoggedChange {
  const fields = entryFields(flat);
  const kind = fields.get('k');
  const ip = fields.get('ip') ?? '';
  const mapping = decodeMapping(ip, fields.get('m') ?? '{}');
  const at = Number(fields.get('t'));
  switch (kind) {
    case 'added':
    case 'expired':
    case 'evicted':
      return { change: { kind, mapping }, at };
    case 'refreshed':
      return { change: { kind, mapping, newinfo: fields.get('n') === '1' }, at };
    case 'removed':
      return { change: { kind, mapping, reason: fields.get('r') === 'admin' ? 'admin' : 'logout' }, at };
    case 'user-changed':
      return { change: { kind, mapping, previous: decodeMapping(ip, fields.get('p') ?? '{}') }, at };
    default:
      throw new Error(`unknown change kind ${String(kind)} in the change stream`);
  }
}

/** Stream ids (`<ms>-<seq>`) in stream order. */
export function compareIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const ms = Number(am) - Number(bm);
  return ms !== 0 ? Math.sign(ms) : Math.sign(Number(as) - Number(bs));
}
