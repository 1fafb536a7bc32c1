/**
 * The lookup thread's JSON writers: fast-json-stringify compiled from the same TypeBox
 * schemas, referenced by `$id` among the same shared schemas, as fastify compiles the
 * routes' response schemas (@fastify/fast-json-stringify-compiler), so both threads write
 * the same bytes for the same answer.
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

export function lookupSerializers(): LookupSerializers {
  const shared = Object.fromEntries(SHARED_SCHEMAS.map((s) => [s.$id!, s as unknown as Schema]));
  // TypeBox schemas are JSON schemas; fast-json-stringify's types just do not know TypeBox's.
  const compile = <T>(schema: TSchema): ((body: T) => string) => fastJsonStringify(schema as unknown as Schema, { schema: shared });
  return {
    mapping: compile<MappingBody>(ref(MappingSchema)),
    lookup: compile<LookupBody>(ref(LookupResponseSchema)),
    error: compile<ErrorBody>(ref(ErrorSchema)),
  };
}
