/**
 * ioredis connections from `mappings.store` (type redis): a plain URL (redis:// or
 * rediss:// for TLS), Sentinel (`sentinel: { name, sentinels }`, ioredis asks the
 * sentinels for the master and follows failovers), or Redis Cluster (`cluster: [{ host,
 * port }]`, seed nodes: ioredis' Cluster client learns the slots and follows MOVED and
 * failovers; the whole table is one slot, keys.ts rule 1). ioredis reconnects on its own; the
 * table decides what waits meanwhile, so no command is queued inside the client
 * (`enableOfflineQueue: false`, no retries) except on the reader, whose XREAD simply waits.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisStoreConfig } from '../../config/schema.js';
import { readTlsFile } from '../../shared/tls-file.js';

/** Longer than any BLOCK we use (1 s, 2 s). */
const COMMAND_TIMEOUT_MS = 5000;

export type RedisRole = 'commands' | 'reader' | 'accounting';

/** A connection to the table's Redis: one server (or Sentinel's master), or a Cluster; the same commands. */
export type RedisClient = Redis | Cluster;

export type RedisConnector = (role: RedisRole) => RedisClient;

/** Reconnect backoff: 50 ms doubling up to 2 s, for ever (an outage ends when Redis is back). */
function retryStrategy(times: number): number {
  return Math.min(2000, 50 * 2 ** Math.min(times, 6));
}

export function redisConnector(config: RedisStoreConfig, connectionName: string): RedisConnector {
  const url = new URL(config.url);
  const tls = url.protocol === 'rediss:' || config.tls !== undefined
    ? {
        ...(config.tls?.ca ? { ca: readTlsFile('mappings.store.tls.ca', config.tls.ca) } : {}),
        ...(config.tls?.cert ? { cert: readTlsFile('mappings.store.tls.cert', config.tls.cert) } : {}),
        ...(config.tls?.key ? { key: readTlsFile('mappings.store.tls.key', config.tls.key) } : {}),
        // Cluster nodes are each checked against their own host name (the url's host is not theirs).
        ...(config.tls?.servername || !config.cluster ? { servername: config.tls?.servername ?? url.hostname } : {}),
      }
    : undefined;
  const auth: RedisOptions = {
    ...(config.password !== undefined ? { password: config.password } : {}),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(tls ? { tls } : {}),
  };
  // Nothing but the reader waits for a reconnect: a command sent as the connection drops
  // fails within COMMAND_TIMEOUT_MS instead of hanging (the callers retry or queue it).
  const waits = (role: RedisRole): boolean => role === 'reader';
  const perRequest = (role: RedisRole): RedisOptions => (waits(role) ? { maxRetriesPerRequest: null } : { maxRetriesPerRequest: 0, commandTimeout: COMMAND_TIMEOUT_MS });
  if (config.cluster) {
    const nodes = config.cluster.map(({ host, port }) => ({ host, port }));
    return (role) => quiet(new Cluster(nodes, {
      // Cluster has one database (0); the url gives scheme, user and TLS only.
      redisOptions: { ...auth, ...perRequest(role), connectionName: `${connectionName}:${role}` },
      clusterRetryStrategy: retryStrategy,
      enableOfflineQueue: waits(role),
      lazyConnect: false,
    }));
  }
  const base: RedisOptions = { ...auth, db: Number(url.pathname.replace('/', '') || 0), retryStrategy, lazyConnect: false };
  const where: RedisOptions = config.sentinel
    ? { sentinels: config.sentinel.sentinels, name: config.sentinel.name, ...(tls ? { enableTLSForSentinelMode: true } : {}) }
    : { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 6379) };
  return (role) => quiet(new Redis({
    ...base,
    ...where,
    connectionName: `${connectionName}:${role}`,
    ...perRequest(role),
    ...(waits(role) ? {} : { enableOfflineQueue: false }),
  }));
}

/** Connection errors are expected during an outage; the table reports the outage once. */
function quiet<T extends RedisClient>(client: T): T {
  client.on('error', () => {});
  return client;
}
