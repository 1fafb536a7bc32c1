/**
 * ioredis connections from `mappings.store` (type redis): a plain URL (redis:// or
 * rediss:// for TLS), or Sentinel (`sentinel: { name, sentinels }`, ioredis asks the
 * sentinels for the master and follows failovers). ioredis reconnects on its own; the
 * table decides what waits meanwhile, so no command is queued inside the client
 * (`enableOfflineQueue: false`, no retries) except on the reader, whose XREAD simply waits.
 */
import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisStoreConfig } from '../../config/schema.js';

/** Longer than any BLOCK we use (1 s, 2 s). */
const COMMAND_TIMEOUT_MS = 5000;

export type RedisRole = 'commands' | 'reader' | 'accounting';

export type RedisConnector = (role: RedisRole) => Redis;

/** Reconnect backoff: 50 ms doubling up to 2 s, for ever (an outage ends when Redis is back). */
function retryStrategy(times: number): number {
  return Math.min(2000, 50 * 2 ** Math.min(times, 6));
}

export function redisConnector(config: RedisStoreConfig, connectionName: string): RedisConnector {
  const url = new URL(config.url);
  const tls = url.protocol === 'rediss:' || config.tls !== undefined
    ? {
        ...(config.tls?.ca ? { ca: readFileSync(config.tls.ca) } : {}),
        ...(config.tls?.cert ? { cert: readFileSync(config.tls.cert) } : {}),
        ...(config.tls?.key ? { key: readFileSync(config.tls.key) } : {}),
        servername: config.tls?.servername ?? url.hostname,
      }
    : undefined;
  const base: RedisOptions = {
    ...(config.password !== undefined ? { password: config.password } : {}),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    db: Number(url.pathname.replace('/', '') || 0),
    ...(tls ? { tls } : {}),
    retryStrategy,
    lazyConnect: false,
  };
  const where: RedisOptions = config.sentinel
    ? { sentinels: config.sentinel.sentinels, name: config.sentinel.name, ...(tls ? { enableTLSForSentinelMode: true } : {}) }
    : { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 6379) };
  return (role) => {
    const client = new Redis({
      ...base,
      ...where,
      connectionName: `${connectionName}:${role}`,
      // Nothing but the reader waits for a reconnect: a command sent as the connection drops
      // fails within COMMAND_TIMEOUT_MS instead of hanging (the callers retry or queue it).
      ...(role === 'reader' ? { maxRetriesPerRequest: null } : { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: COMMAND_TIMEOUT_MS }),
    });
    // Connection errors are expected during an outage; the table reports the outage once.
    client.on('error', () => {});
    return client;
  };
}
