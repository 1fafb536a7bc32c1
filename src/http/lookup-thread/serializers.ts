/**
 * The lookup thread's JSON writers: fast-json-stringify compiled from the same TypeBox
 * schemas, referenced by `$id` among the same shared schemas, as fastify compiles the
 * routes' response schemas (@fastify/fast-json-stringify-compiler), so both threads write
 * the same bytes for the same answer. The one hot shape, a single mapping, is written by
 * hand (mappingJson) in the bytes the compiled writer produces; the compiled one stays
 * the reference (test/http/lookup-thread/serializers.test.ts compares them).
 */
import type { TSchema } from '@sinclair/typebox';
import fastJsonStringify, { type Schema } from 'fast-json-stringify';
import type { LookupBody } from '../mapping-answers.js';
import { ErrorSchema, LookupResponseSchema, MappingSchema, ref, SHARED_SCHEMAS, type ErrorBody, type MappingBody } from '../schemas.js';

export interface LookupSerializers {
  readonly mapping: (body: MappingBody) => string;
  readonly lookup: (body: LookupBody) => string;
  readonly error: (body: ErrorBody) => string;
}

/** The compiled writers, as fastify's routes write their answers. */
export function compiledSerializers(): LookupSerializers {
  const shared = Object.fromEntries(SHARED_SCHEMAS.map((s) => [s.$id!, s as unknown as Schema]));
  // TypeBox schemas are JSON schemas; fast-json-stringify's types just do not know TypeBox's.
  const compile = <T>(schema: TSchema): ((body: T) => string) => fastJsonStringify(schema as unknown as Schema, { schema: shared });
  return {
    mapping: compile<MappingBody>(ref(MappingSchema)),
    lookup: compile<LookupBody>(ref(LookupResponseSchema)),
    error: compile<ErrorBody>(ref(ErrorSchema)),
  };
}

export function lookupSerializers(): LookupSerializers {
  const compiled = compiledSerializers();
  return { ...compiled, mapping: (body) => mappingJson(body) ?? compiled.mapping(body) };
}

/**
 * A time as present.ts isoTime writes it for a four-digit year (`2026-12-03T15:31:54.123Z`),
 * which ajv's `date-time` accepts; anything else (a year beyond 9999) is left to the
 * compiled writer, which checks it to pick a branch of `expiresAt`'s anyOf with null.
 */
const PLAIN_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * A string as fast-json-stringify's asString writes it (its own loop is a shortcut to
 * JSON.stringify's output): printable ASCII without `"` or `\\` as it is, quoted; anything
 * else by JSON.stringify.
 */
function quoted(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return JSON.stringify(text);
  }
  return `"${text}"`;
}

/**
 * MappingSchema's bytes, in its property order, without the compiled writer's per-field
 * type dispatch and its format check of `expiresAt` (0.4 µs a call); undefined when the
 * body is not the plain shape.
 */
function mappingJson(body: MappingBody): string | undefined {
  const { firstSeen, lastSeen, expiresAt, timeoutSeconds, stale } = body;
  if ((expiresAt !== null && !PLAIN_TIME.test(expiresAt)) || !Number.isInteger(timeoutSeconds)) return undefined;
  return `{"ip":${quoted(body.ip)},"user":${quoted(body.user)},"sender":${quoted(body.sender)},"profile":${quoted(body.profile)},`
    + `"firstSeen":${quoted(firstSeen)},"lastSeen":${quoted(lastSeen)},"expiresAt":${expiresAt === null ? 'null' : `"${expiresAt}"`},`
    + `"timeoutSeconds":${timeoutSeconds}${stale === undefined ? '' : stale ? ',"stale":true' : ',"stale":false'}}`;
}
