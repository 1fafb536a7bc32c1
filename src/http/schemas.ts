/**
 * The JSON schemas of the HTTP API (DESIGN §3), shared between routes by `$id` (fastify's
 * `addSchema`), used both to validate requests (ajv) and to serialise responses
 * (fast-json-stringify), and rendered as components of docs/openapi.json. The TypeScript
 * body types are derived from them, so the schema and the code cannot drift apart.
 */
import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';

/**
 * A `$ref` to a shared schema that keeps the referenced schema's static type; `description`
 * describes the use (in a route's responses it becomes the OpenAPI response description).
 */
export function ref<T extends TSchema>(schema: T, description?: string): TUnsafe<Static<T>> {
  return Type.Unsafe<Static<T>>(description === undefined ? Type.Ref(schema.$id!) : Type.Ref(schema.$id!, { description }));
}

const Timestamp = (description: string) => Type.String({ format: 'date-time', description: `${description} (ISO 8601 UTC)` });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
/** A string from a fixed list, as a plain JSON-schema `enum` (clearer in OpenAPI than a union of constants). */
const OneOf = <const T extends readonly string[]>(values: T, options: { description?: string } = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

/** Longest address text we look at: IPv6 with an embedded IPv4 tail is 45 characters. */
export const MAX_IP_TEXT = 64;
/** POST /v1/lookup: at most this many addresses in one request. */
export const MAX_LOOKUP_IPS = 10_000;
/** GET /v1/mappings: the largest page, and the page size when `limit` is not given. */
export const MAX_PAGE_LIMIT = 10_000;
export const DEFAULT_PAGE_LIMIT = 1_000;

export const ErrorDetailSchema = Type.Object({
  code: Type.String({ description: 'a stable UID_ERR_* code (docs/errors.md)' }),
  message: Type.String({ description: 'what was wrong and what to do' }),
}, { $id: 'ErrorDetail', additionalProperties: false });

export const ErrorSchema = Type.Object({ error: ref(ErrorDetailSchema) }, { $id: 'Error', additionalProperties: false });
export type ErrorBody = Static<typeof ErrorSchema>;
/** The error response of a route, described for OpenAPI. */
export const errorResponse = (description: string) => ref(ErrorSchema, description);
/** What every route but /healthz may answer when tokens are configured. */
export const UNAUTHORIZED = errorResponse('bearer token missing or wrong (UID_ERR_HTTP_UNAUTHORIZED)');

export const MappingSchema = Type.Object({
  ip: Type.String({ description: 'the address: IPv4 dotted quad, or IPv6 in RFC 5952 form' }),
  user: Type.String({ description: 'the mapped user, with domain, as first seen' }),
  sender: Type.String({ description: 'name of the syslog sender that reported it' }),
  profile: Type.String({ description: 'name of the parse profile that matched' }),
  firstSeen: Timestamp('when this user was first seen at this address'),
  lastSeen: Timestamp('the latest login message for it'),
  expiresAt: Nullable(Timestamp('when it times out unless seen again; null when it lasts until logout')),
  timeoutSeconds: Type.Integer({ minimum: 0, description: 'its own timeout, renewed by each login (push, profile, sender or mappings.timeoutMinutes); 0 = until logout' }),
}, { $id: 'Mapping', additionalProperties: false });
export type MappingBody = Static<typeof MappingSchema>;

export const MappingListSchema = Type.Object({
  items: Type.Array(ref(MappingSchema)),
  next: Type.Optional(Type.String({ description: 'cursor of the next page; absent on the last page and for ?user=' })),
}, { $id: 'MappingList', additionalProperties: false });

export const IpParamsSchema = Type.Object({
  ip: Type.String({ maxLength: MAX_IP_TEXT, description: 'IPv4 or IPv6 address; IPv4-mapped IPv6 finds the IPv4 entry' }),
}, { additionalProperties: false });

export const MappingQuerySchema = Type.Object({
  user: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'all mappings of this user (case-insensitive)' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_LIMIT, description: `page size (default ${DEFAULT_PAGE_LIMIT})` })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'the `next` of the previous page' })),
}, { additionalProperties: false });

export const LookupRequestSchema = Type.Object({
  ips: Type.Array(Type.String({ maxLength: MAX_IP_TEXT }), { maxItems: MAX_LOOKUP_IPS }),
}, { $id: 'LookupRequest', additionalProperties: false });

export const LookupItemSchema = Type.Object({
  ip: Type.String({ description: 'the address exactly as requested' }),
  mapping: Type.Optional(ref(MappingSchema)),
  error: Type.Optional(ref(ErrorDetailSchema)),
}, {
  $id: 'LookupItem',
  additionalProperties: false,
  description: 'one per requested address, in request order: `mapping` when mapped, neither field when not mapped, `error` when the address is invalid',
});
export type LookupItemBody = Static<typeof LookupItemSchema>;

export const LookupResponseSchema = Type.Object({ items: Type.Array(ref(LookupItemSchema)) }, { $id: 'LookupResponse', additionalProperties: false });

/** The `data:` of a Server-Sent Event from GET /v1/events (the `event:` field is `kind`). */
export const ChangeEventSchema = Type.Object({
  kind: OneOf(['added', 'user-changed', 'refreshed', 'removed', 'expired', 'evicted']),
  reason: OneOf(['login', 'replaced', 'logout', 'admin', 'timeout', 'capacity'], {
    description: 'why: login (added, refreshed), replaced (user-changed), logout or admin (removed), timeout (expired), capacity (evicted)',
  }),
  mapping: ref(MappingSchema),
  previous: Type.Optional(ref(MappingSchema)),
  newinfo: Type.Optional(Type.Boolean({ description: 'refreshed from another sender or profile' })),
}, { $id: 'ChangeEvent', additionalProperties: false });
export type ChangeEventBody = Static<typeof ChangeEventSchema>;

/** The `data:` of a `resync` event: the requested Last-Event-ID can no longer be resumed. */
export const ResyncEventSchema = Type.Object({
  reason: OneOf(['too-old', 'unknown']),
  lastEventId: Type.String(),
  message: Type.String(),
}, { $id: 'ResyncEvent', additionalProperties: false });
export type ResyncEventBody = Static<typeof ResyncEventSchema>;

export const EventsHeadersSchema = Type.Object({
  'last-event-id': Type.Optional(Type.String({ maxLength: 128, description: 'resume after this event' })),
});

export const ListenerHealthSchema = Type.Object({
  name: Type.String({ description: 'e.g. udp, tls, tcp, http' }),
  state: OneOf(['listening', 'stopped', 'failed']),
  address: Type.Optional(Type.String({ description: 'host:port it listens on' })),
  error: Type.Optional(Type.String({ description: 'why it failed' })),
}, { $id: 'ListenerHealth', additionalProperties: false });

export const AccountingHealthSchema = Type.Object({
  mode: OneOf(['start-stop', 'stop-only', 'none']),
  groups: Type.Array(Type.Object({
    name: Type.String(),
    state: OneOf(['up', 'failing-over', 'down']),
    queueDepth: Type.Integer({ minimum: 0 }),
  }, { additionalProperties: false })),
}, { $id: 'AccountingHealth', additionalProperties: false });

const healthFields = {
  listeners: Type.Array(ref(ListenerHealthSchema)),
  mappings: Type.Integer({ minimum: 0, description: 'entries in the mapping table' }),
  accounting: Type.Optional(ref(AccountingHealthSchema)),
};

export const HealthSchema = Type.Object({
  status: OneOf(['ok', 'degraded', 'down'], {
    description: 'down (HTTP 503): no listener is listening; degraded: a listener or an accounting group is not up',
  }),
  ...healthFields,
}, { $id: 'Health', additionalProperties: false });
export type HealthBody = Static<typeof HealthSchema>;
/** What the application reports about itself; GET /healthz adds the overall `status`. */
export type HealthReport = Omit<HealthBody, 'status'>;
export type ListenerHealth = Static<typeof ListenerHealthSchema>;
export type AccountingHealth = Static<typeof AccountingHealthSchema>;

const AccountedSessionSchema = Type.Object({
  taskId: Type.String(),
  user: Type.String(),
  ip: Type.String(),
  sender: Type.String(),
  started: Timestamp('START time'),
  elapsedSeconds: Type.Number({ minimum: 0 }),
}, { additionalProperties: false });

const ServerStatusSchema = Type.Object({
  host: Type.String(),
  port: Type.Integer(),
  transport: OneOf(['tcp', 'tls']),
  state: OneOf(['connected', 'idle', 'failed', 'unknown']),
  lastErrorAt: Nullable(Timestamp('the last failure')),
  lastError: Nullable(Type.String()),
}, { additionalProperties: false });

const GroupStatusSchema = Type.Object({
  name: Type.String(),
  currentServer: Nullable(Type.String({ description: 'host:port records go to now; null during an outage' })),
  state: OneOf(['up', 'failing-over', 'down']),
  queueDepth: Type.Integer({ minimum: 0, description: 'records waiting in the spool' }),
  lastError: Nullable(Type.String()),
  servers: Type.Array(ServerStatusSchema),
}, { additionalProperties: false });

export const AccountingStatusSchema = Type.Object({
  mode: OneOf(['start-stop', 'stop-only', 'none']),
  sessionsTotal: Type.Integer({ minimum: 0, description: 'active accounted sessions; `sessions` lists the first `limit`' }),
  sessions: Type.Array(AccountedSessionSchema),
  groups: Type.Array(GroupStatusSchema),
}, { $id: 'AccountingStatus', additionalProperties: false });
export type AccountingStatusBody = Static<typeof AccountingStatusSchema>;

export const AccountingQuerySchema = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000, description: 'sessions to list (default 1000)' })),
}, { additionalProperties: false });

/** Every schema routes refer to by `$id`, in dependency order for `addSchema`. */
export const SHARED_SCHEMAS: readonly TSchema[] = [
  ErrorDetailSchema, ErrorSchema, MappingSchema, MappingListSchema, LookupRequestSchema, LookupItemSchema,
  LookupResponseSchema, ChangeEventSchema, ResyncEventSchema, ListenerHealthSchema, AccountingHealthSchema,
  HealthSchema, AccountingStatusSchema,
];
