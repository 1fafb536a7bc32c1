/** Listeners sharing one table on a test Redis, fed over syslog TCP with the churn profiles. */
import { CHURN_PROFILES, StreamClient, churnMessage } from '../support/listener-clients.js';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { InProcessListener, ListenerProcess, cleanupListeners, waitUntil, type Listener } from '../support/listener.js';
import type { ConfigPatch } from '../support/listener-config.js';
import { RedisServer, type RedisServerOptions } from '../support/redis-server.js';
import { TEST_KEY, tcpServerConfig } from '../support/tacacs-config.js';
import { TacacsTestServer } from '../support/tacacs-server.js';

let prefixes = 0;

/** A key prefix of its own for each test, so tests on one Redis never see each other's table. */
export function testPrefix(): string {
  return `it${process.pid}-${++prefixes}:`;
}

export function sharedConfig(redis: RedisServer, keyPrefix: string, more: ConfigPatch = {}): ConfigPatch {
  return {
    mappings: { store: {
      type: 'redis', url: redis.url, keyPrefix, claimIdleSeconds: 2,
      ...(redis.options.cluster ? { cluster: [{ host: '127.0.0.1', port: redis.port }] } : {}),
    } },
    ...more,
  };
}

export function startShared(redis: RedisServer, keyPrefix: string, more: ConfigPatch = {}): Promise<InProcessListener> {
  return InProcessListener.start({ config: sharedConfig(redis, keyPrefix, more), profiles: CHURN_PROFILES });
}

export function startSharedProcess(redis: RedisServer, keyPrefix: string, more: ConfigPatch = {}): Promise<ListenerProcess> {
  return ListenerProcess.start({ config: sharedConfig(redis, keyPrefix, more), profiles: CHURN_PROFILES });
}

/** Sends one churn message per line over one TCP connection (LF framing). */
export async function sendChurn(listener: Listener, lines: readonly (readonly [event: 'login' | 'logout', user: string, ip: string])[]): Promise<void> {
  const client = await StreamClient.connect(listener.ports.tcp);
  for (const [event, user, ip] of lines) await client.send(churnMessage(event, user, ip), 'lf');
  client.destroy();
}

/** Every mapping the listener serves, by IP (through the paging API). */
export async function servedTable(listener: Listener): Promise<Map<string, unknown>> {
  const served = new Map<string, unknown>();
  let cursor: string | undefined;
  do {
    const { status, body } = await listener.http('GET', `/v1/mappings?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    if (status !== 200) throw new Error(`GET /v1/mappings: ${status} ${JSON.stringify(body)}`);
    for (const item of body.items) served.set(item.ip, item);
    cursor = body.next;
  } while (cursor !== undefined);
  return served;
}

export async function waitForSize(listener: Listener, size: number, timeoutMs = 15_000): Promise<void> {
  await waitUntil(async () => (await servedTable(listener)).size === size, `${size} mappings served on port ${listener.ports.http}`, timeoutMs);
}

/** A Redis and a TACACS+ test server for one test file, stopped after it, with listeners cleaned up after each test. */
export function sharedServers(options: RedisServerOptions = {}): { readonly redis: RedisServer; readonly tacacs: TacacsTestServer; accounting(): ConfigPatch } {
  const servers = {} as { redis: RedisServer; tacacs: TacacsTestServer; accounting(): ConfigPatch };
  servers.accounting = () => ({
    accounting: { mode: 'start-stop', timezone: 'UTC', groups: [{ name: 'primary', servers: [tcpServerConfig(servers.tacacs)] }] },
  });
  beforeAll(async () => {
    servers.redis = await RedisServer.start(options);
    servers.tacacs = await TacacsTestServer.start({ key: TEST_KEY });
  });
  afterEach(cleanupListeners);
  afterAll(async () => {
    await servers.tacacs.kill();
    await servers.redis.close();
  });
  return servers;
}
