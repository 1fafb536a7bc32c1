/**
 * The main configuration file, as a JSON schema (TypeBox) that also gives the TypeScript
 * type. docs/configuration.md explains
 * every key. Defaults live here and nowhere else. Unknown keys are refused (typos).
 */
import { Type, type Static, type TSchema, type ObjectOptions } from '@sinclair/typebox';

const strict = <T extends Record<string, TSchema>>(props: T, options: ObjectOptions = {}) =>
  Type.Object(props, { additionalProperties: false, ...options });

const Port = (port: number) => Type.Integer({ minimum: 1, maximum: 65535, default: port });
const Host = (host: string) => Type.String({ minLength: 1, default: host });
const Path = Type.String({ minLength: 1 });
/** A string from a fixed list: a JSON-schema `enum`, so an error names every allowed value. */
const OneOf = <const T extends readonly string[]>(values: T, options: { default?: T[number] } = {}) =>
  Type.Unsafe<T[number]>({ enum: [...values], ...options });

const Transport = OneOf(['udp', 'tcp', 'tls']);
/** A mapping timeout as PAN-OS bounds its User-ID timeout: 1–3600 minutes. */
const TimeoutMinutes = (options: { default?: number } = {}) => Type.Integer({ minimum: 1, maximum: 3600, ...options });

export const UdpSchema = strict({
  enabled: Type.Boolean({ default: true }),
  host: Host('0.0.0.0'),
  port: Port(514),
  /** SO_RCVBUF request: loss at the socket is silent, so ask for room to absorb bursts. */
  receiveBufferBytes: Type.Integer({ minimum: 65536, default: 8 * 1024 * 1024 }),
  /** Worker processes that receive and parse UDP (0: the listener process does); docs/syslog.md "UDP workers". */
  workers: Type.Optional(Type.Integer({ minimum: 0, maximum: 64, default: 0 })),
}, { default: {} });

export const TlsListenerSchema = strict({
  enabled: Type.Boolean({ default: true }),
  host: Host('0.0.0.0'),
  port: Port(6514),
  cert: Type.String({ minLength: 1, default: 'certs/server.crt' }),
  key: Type.String({ minLength: 1, default: 'certs/server.key' }),
  /** CA that client certificates must chain to (RFC 5425 §4.2.1). */
  ca: Type.Optional(Path),
  requireClientCert: Type.Boolean({ default: false }),
}, { default: {} });

export const TcpSchema = strict({
  enabled: Type.Boolean({ default: false }),
  host: Host('0.0.0.0'),
  port: Port(514),
}, { default: {} });

export const SyslogSchema = strict({
  udp: UdpSchema,
  tls: TlsListenerSchema,
  tcp: TcpSchema,
  maxMessageBytes: Type.Integer({ minimum: 480, maximum: 1048576, default: 65536 }),
  maxConnections: Type.Integer({ minimum: 1, default: 10000 }),
  maxConnectionsPerSender: Type.Integer({ minimum: 1, default: 1000 }),
  idleTimeoutSeconds: Type.Integer({ minimum: 1, default: 3600 }),
  handshakeTimeoutSeconds: Type.Integer({ minimum: 1, default: 10 }),
}, { default: {} });

export const SenderSchema = strict({
  name: Type.String({ minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9_.:-]+$' }),
  /** An address or CIDR, IPv4 or IPv6. */
  address: Type.String({ minLength: 1 }),
  transports: Type.Array(Transport, { minItems: 1, uniqueItems: true, default: ['udp', 'tcp', 'tls'] }),
  /** Profile names; omitted means every loaded profile. */
  profiles: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, uniqueItems: true })),
  defaultDomain: Type.Optional(Type.String({ minLength: 1 })),
  /** Pinned client-certificate fingerprints (RFC 5425 §4.2.1), e.g. "sha256:AB:CD:…". */
  tlsFingerprints: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  /** Timeout of this sender's mappings when their profile names none (DESIGN §5); default mappings.timeoutMinutes. */
  timeoutMinutes: Type.Optional(TimeoutMinutes()),
  /** /healthz reports the sender quiet (and degraded) after this long without a message; fractions allowed. */
  quietAfterMinutes: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 525_600 })),
});

export const SnapshotSchema = strict({
  enabled: Type.Boolean({ default: true }),
  path: Type.String({ minLength: 1, default: 'data/mappings.jsonl' }),
  intervalSeconds: Type.Integer({ minimum: 1, default: 30 }),
}, { default: {} });

/**
 * Where the table lives (docs/high-availability.md): `memory` (this process) or `redis`,
 * shared by several listeners on Redis ≥ 7 or Valkey. The redis keys apply to type redis
 * only; `url` is then required (checks.ts).
 */
export const StoreSchema = strict({
  type: OneOf(['memory', 'redis'], { default: 'memory' }),
  /** redis://[user@]host:port[/db] or rediss:// (TLS); no password in the URL: use password / passwordFile. */
  url: Type.Optional(Type.String({ minLength: 1, pattern: '^rediss?://' })),
  /** Keys are `{<prefix without colon>}:…` (one Cluster slot per table). */
  keyPrefix: Type.String({ minLength: 1, pattern: '^[^{}]+$', default: 'uid:' }),
  /** May be "${ENV_NAME}". */
  password: Type.Optional(Type.String({ minLength: 1 })),
  passwordFile: Type.Optional(Path),
  tls: Type.Optional(strict({ ca: Type.Optional(Path), cert: Type.Optional(Path), key: Type.Optional(Path), servername: Type.Optional(Type.String({ minLength: 1 })) })),
  /** Sentinel: the master's name and the sentinels (url's host is then ignored). */
  sentinel: Type.Optional(strict({
    name: Type.String({ minLength: 1 }),
    sentinels: Type.Array(strict({ host: Type.String({ minLength: 1 }), port: Port(26379) }), { minItems: 1 }),
  })),
  /** Redis Cluster: seed nodes (url's host is then ignored; its scheme, user and TLS apply). */
  cluster: Type.Optional(Type.Array(strict({ host: Type.String({ minLength: 1 }), port: Port(6379) }), { minItems: 1 })),
  /** Events held while Redis is unreachable; beyond, new ones are dropped and counted. */
  queueMaxEvents: Type.Integer({ minimum: 1, default: 100_000 }),
  /** The folder that queue is kept in across restarts; default `store-queue` beside the snapshot (`mappings.snapshot.path`). */
  queuePath: Type.Optional(Path),
  /** How long a silent accounting leader keeps its lease before another listener claims its records. */
  claimIdleSeconds: Type.Integer({ minimum: 1, default: 30 }),
  /** Change-stream entries kept (never trimming what accounting has not acknowledged). */
  streamMaxEntries: Type.Integer({ minimum: 1000, default: 1_000_000 }),
}, { default: {} });

export const MappingsSchema = strict({
  /** PAN-OS User-ID timeout: default 45, range 1–3600 minutes; the last resort of DESIGN §5's timeout rule. */
  timeoutMinutes: TimeoutMinutes({ default: 45 }),
  /** Capacity is reserved at start (~30 bytes a slot), so a typo such as 1e9 must not pass. */
  maxEntries: Type.Integer({ minimum: 1, maximum: 20_000_000, default: 1_000_000 }),
  ignoreUsers: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  includeNetworks: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  excludeNetworks: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  snapshot: SnapshotSchema,
  /** Where the table lives: this process (memory) or Redis, shared by several listeners. */
  store: StoreSchema,
}, { default: {} });

export const ServerTlsSchema = strict({
  ca: Path,
  cert: Path,
  key: Path,
  servername: Type.Optional(Type.String({ minLength: 1 })),
});

export const HttpSchema = strict({
  enabled: Type.Boolean({ default: true }),
  host: Host('127.0.0.1'),
  port: Port(8080),
  /** Bearer tokens; each may be "${ENV_NAME}". */
  tokens: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  /** A file with one token per line, read at start. */
  tokensFile: Type.Optional(Path),
  allowAnonymous: Type.Boolean({ default: false }),
  tls: Type.Optional(strict({ cert: Path, key: Path })),
  /** Peers (addresses or CIDRs) whose X-Real-IP / X-Forwarded-For GET /v1/auth believes; docs/http-api.md "Forward auth". */
  trustedProxies: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  /** Lookups answered on a thread of their own; docs/operations.md "What runs where". */
  lookupThread: Type.Boolean({ default: true }),
}, { default: {} });

export const TacacsServerSchema = strict({
  host: Type.String({ minLength: 1 }),
  /** 49 for TACACS+ (RFC 8907 §4), 300 for TACACS+ over TLS (RFC 9887). */
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  /** Shared secret for obfuscation (RFC 8907 §4.5); may be "${ENV_NAME}". */
  secret: Type.Optional(Type.String({ minLength: 1 })),
  secretFile: Type.Optional(Path),
  timeoutMs: Type.Integer({ minimum: 100, default: 5000 }),
  /** TCP connect plus, with `tls:`, the TLS handshake. */
  connectTimeoutMs: Type.Integer({ minimum: 100, default: 3000 }),
  singleConnection: Type.Boolean({ default: true }),
  tls: Type.Optional(ServerTlsSchema),
});

export const AccountingGroupSchema = strict({
  name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.-]+$' }),
  servers: Type.Array(TacacsServerSchema, { minItems: 1 }),
});

export const AccountingSchema = strict({
  mode: OneOf(['start-stop', 'stop-only', 'none'], { default: 'none' }),
  update: strict({
    newinfo: Type.Boolean({ default: true }),
    periodicMinutes: Type.Integer({ minimum: 0, default: 0 }),
  }, { default: {} }),
  suppressNullUsername: Type.Boolean({ default: true }),
  /** The `timezone` argument of every record; default the listener's own zone. */
  timezone: Type.Optional(Type.String({ minLength: 1 })),
  spool: Type.String({ minLength: 1, default: 'data/accounting' }),
  spoolMaxBytes: Type.Integer({ minimum: 65536, default: 256 * 1024 * 1024 }),
  /** How long a group stays on a backup server before trying the first one again. */
  retryIntervalSeconds: Type.Integer({ minimum: 1, default: 300 }),
  groups: Type.Array(AccountingGroupSchema, { default: [] }),
}, { default: {} });

/** A PAN-OS XML API user (`type=keygen`): exactly one of password (may be "${ENV}"), passwordFile, passwordHash. */
export const XmlApiUserSchema = strict({
  name: Type.String({ minLength: 1, maxLength: 63, pattern: '^[A-Za-z0-9_.@-]+$' }),
  password: Type.Optional(Type.String({ minLength: 1 })),
  passwordFile: Type.Optional(Path),
  /** `$scrypt$ln=…,r=…,p=…$<salt>$<hash>` as `uid-listener hash-password` prints it (docs/xml-api.md). */
  passwordHash: Type.Optional(Type.String({ minLength: 1 })),
  /** Timeout of this user's pushes that name none (the sender rule of DESIGN §5). */
  timeoutMinutes: Type.Optional(TimeoutMinutes()),
});

/** The PAN-OS XML API at /api/ (docs/xml-api.md): served when users are configured, unless enabled is false. */
export const XmlApiSchema = strict({
  /** Default: on when `users` is not empty; `true` serves it for http.tokens alone. */
  enabled: Type.Optional(Type.Boolean()),
  users: Type.Array(XmlApiUserSchema, { default: [] }),
  /** Where the secret that API keys are derived from is kept (made on first start, mode 0600). */
  keySecretFile: Type.String({ minLength: 1, default: 'data/xml-api.secret' }),
  /** Largest request body (form or multipart) accepted. */
  maxBodyBytes: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 1024 * 1024 }),
}, { default: {} });

/** The audit trail of table changes (docs/audit.md); off unless a path is given. */
export const AuditSchema = strict({
  path: Path,
  /** A file is rotated before it grows past this. */
  maxBytes: Type.Integer({ minimum: 1024 * 1024, default: 64 * 1024 * 1024 }),
  /** Rotated files kept besides the current one (`<path>.1` … `<path>.<keep>`). */
  keep: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
  /** Also write refreshes that bring nothing new (every heartbeat: large). */
  refreshes: Type.Boolean({ default: false }),
});

export const LogSchema = strict({
  level: OneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  audit: Type.Optional(AuditSchema),
  /** Messages that mapped nothing logged at debug, at most this many per sender and minute (0: off). */
  unmatchedSamples: Type.Integer({ minimum: 0, maximum: 10_000, default: 0 }),
}, { default: {} });

export const ConfigSchema = strict({
  syslog: SyslogSchema,
  senders: Type.Array(SenderSchema, { default: [] }),
  profilesDir: Type.String({ minLength: 1, default: 'profiles' }),
  mappings: MappingsSchema,
  http: HttpSchema,
  accounting: AccountingSchema,
  xmlApi: XmlApiSchema,
  log: LogSchema,
});

export type Config = Static<typeof ConfigSchema>;
export type SyslogConfig = Static<typeof SyslogSchema>;
export type SenderConfig = Static<typeof SenderSchema>;
export type MappingsConfig = Static<typeof MappingsSchema>;
export type StoreConfig = Static<typeof StoreSchema>;
/** `mappings.store` of type redis, its url checked present. */
export type RedisStoreConfig = StoreConfig & { readonly type: 'redis'; readonly url: string };
export type HttpConfig = Static<typeof HttpSchema>;
export type AccountingConfig = Static<typeof AccountingSchema>;
export type XmlApiConfig = Static<typeof XmlApiSchema>;
export type XmlApiUserConfig = Static<typeof XmlApiUserSchema>;
export type TacacsServerConfig = Static<typeof TacacsServerSchema>;
export type Transport = Static<typeof Transport>;
export type AuditConfig = Static<typeof AuditSchema>;
