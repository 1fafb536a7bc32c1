/**
 * What the lookup routes answer, as plain values (status and body), apart from how they are
 * sent: the fastify routes (routes/mappings.ts) and the lookup thread (lookup-thread/front.ts)
 * both send these, so the two cannot drift apart. Addresses are normalised exactly as the
 * table keys them (normaliseAddress), so `::ffff:10.1.2.3` and `10.1.2.3` are the same entry.
 */
import { normaliseAddress } from '../identify/address.js';
import type { Mapping, MaybePromise } from '../mappings/table.js';
import { isPromiseLike } from './maybe-promise.js';
import { errorBody, presentMapping } from './present.js';
import type { ErrorBody, LookupItemBody, MappingBody } from './schemas.js';

/** One read of the table by normalised address: the memory table and the lookup thread's reader answer now, a shared table may answer later. */
export type MappingGet = (ip: string) => MaybePromise<Mapping | undefined>;

export type MappingAnswer =
  | { readonly status: 200; readonly body: MappingBody }
  | { readonly status: 400 | 404; readonly body: ErrorBody };

export interface LookupBody {
  readonly items: LookupItemBody[];
}

/** A shared table that cannot reach Redis still answers from what this listener knew: its 200 answers say so in the body and this header. */
export const STALE_HEADER = 'x-uid-stale';

export function markedStale<T extends object>(payload: T): T & { stale: true } {
  return { ...payload, stale: true };
}

export function badIpMessage(text: string): string {
  return `'${text}' is not a valid IPv4 or IPv6 host address (unspecified, broadcast and multicast addresses are never mapped)`;
}

export function badIpAnswer(text: string): { readonly status: 400; readonly body: ErrorBody } {
  return { status: 400, body: errorBody('UID_ERR_HTTP_BAD_IP', badIpMessage(text)) };
}

export function notFoundBody(ip: string): ErrorBody {
  return errorBody('UID_ERR_HTTP_NOT_FOUND', `no mapping for ${ip}`);
}

function mappingOrMiss(mapping: Mapping | undefined, ip: string): MappingAnswer {
  return mapping ? { status: 200, body: presentMapping(mapping) } : { status: 404, body: notFoundBody(ip) };
}

/** GET /v1/mappings/{ip}: `text` as the path gave it. */
export function answerMapping(text: string, get: MappingGet): MaybePromise<MappingAnswer> {
  const ip = normaliseAddress(text);
  if (ip === null) return badIpAnswer(text);
  const found = get(ip);
  return isPromiseLike(found) ? found.then((m) => mappingOrMiss(m, ip)) : mappingOrMiss(found, ip);
}

function lookupItem(text: string, mapping: Mapping | undefined): LookupItemBody {
  return mapping ? { ip: text, mapping: presentMapping(mapping) } : { ip: text };
}

/**
 * POST /v1/lookup: one item per requested address, in request order; an invalid address
 * gets an `error` item and does not fail the request. Synchronous when `get` is.
 */
export function answerLookup(ips: readonly string[], get: MappingGet): MaybePromise<LookupBody> {
  const items = new Array<LookupItemBody>(ips.length);
  let pending: Promise<void>[] | undefined;
  for (let i = 0; i < ips.length; i++) {
    const text = ips[i]!;
    const ip = normaliseAddress(text);
    if (ip === null) {
      items[i] = { ip: text, error: { code: 'UID_ERR_HTTP_BAD_IP', message: badIpMessage(text) } };
      continue;
    }
    const found = get(ip);
    if (isPromiseLike(found)) (pending ??= []).push(found.then((m) => { items[i] = lookupItem(text, m); }));
    else items[i] = lookupItem(text, found);
  }
  return pending ? Promise.all(pending).then(() => ({ items })) : { items };
}
