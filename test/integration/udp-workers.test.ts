/**
 * `syslog.udp.workers`: the listener as users run it (`node dist/main.js start`, build
 * first) with two UDP worker processes. What the workers receive is mapped and counted,
 * logouts follow their logins, a reload reaches every worker, a killed worker is replaced
 * without losing the counts, and SIGTERM stops them all.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist', 'main.js');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function until<T>(check: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function esm(user: string, ip: string): string {
  return `<14>Mar 14 09:12:01 esm01 LEEF:1.0|Palo Alto Networks|Traps Agent|4.2.0.11|Service is alive|cat=System\tsev=1\tduser=${user}\tdst=${ip}`;
}

function fortigate(action: 'up' | 'down', user: string, ip: string): string {
  return `<189>date=2024-01-23 time=15:00:00 devname="FG-01" logid="0101039947" type="event" subtype="vpn" action="tunnel-${action}" tunneltype="ssl-tunnel" tunnelip=${ip} user="${user}" group="VPN"`;
}

/** Children of a process (Linux /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

let dir: string;
let config: string;
let udpPort: number;
let base: string;
let listener: ChildProcess;
let exited: Promise<number | null>;
let output = '';
let socket: Socket;

function writeConfig(extra = ''): void {
  writeFileSync(config, [
    'syslog:',
    `  udp: { host: 127.0.0.1, port: ${udpPort}, workers: 2 }`,
    '  tls: { enabled: false }',
    'senders:',
    '  - { name: loopback, address: 127.0.0.0/8, transports: [udp] }',
    `profilesDir: ${join(ROOT, 'profiles')}`,
    'mappings:',
    '  snapshot: { enabled: false }',
    extra,
    `http: { host: 127.0.0.1, port: ${new URL(base).port} }`,
    'log: { level: info }',
    '',
  ].join('\n'));
}

async function metric(name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      if (labels === '' || line.includes(labels)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}

async function send(lines: readonly string[]): Promise<void> {
  for (const line of lines) await new Promise<void>((resolve, reject) => socket.send(line, udpPort, '127.0.0.1', (error) => (error ? reject(error) : resolve())));
}

const accepted = () => metric('uid_syslog_messages_total', 'transport="udp",outcome="accepted"');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'uid-udp-workers-'));
  config = join(dir, 'uid-listener.yaml');
  udpPort = await freePort();
  base = `http://127.0.0.1:${await freePort()}`;
  writeConfig();
  listener = spawn(process.execPath, [CLI, 'start', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  listener.stdout!.setEncoding('utf8').on('data', (d: string) => { output += d; });
  listener.stderr!.setEncoding('utf8').on('data', (d: string) => { output += d; });
  exited = new Promise((resolve) => listener.once('exit', (code) => resolve(code)));
  // HTTP answers before the syslog listeners are up; /healthz lists them once they are.
  await until(async () => {
    const health = await fetch(`${base}/healthz`).then((r) => r.json() as Promise<{ listeners: { name: string }[] }>, () => undefined);
    return health?.listeners.some((l) => l.name === 'udp');
  }, 'the listener to start', 30_000);
  socket = createSocket('udp4');
}, 40_000);

afterAll(async () => {
  socket?.close();
  if (listener && listener.exitCode === null) {
    listener.kill('SIGKILL');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('UDP workers', () => {
  it('runs the configured number of workers', async () => {
    expect(await metric('uid_udp_workers')).toBe(2);
    expect(childrenOf(listener.pid!)).toHaveLength(2);
  });

  it('maps what the workers receive and counts every datagram', async () => {
    const before = await accepted();
    const ips = Array.from({ length: 200 }, (_, i) => `10.77.${i >> 8}.${(i & 255) + 1}`);
    await send(ips.map((ip, i) => esm(`user${i}`, ip)));
    await send(['\n\n']);
    await until(async () => (await accepted()) - before === 200, 'the workers to count 200 messages');
    await until(async () => (await metric('uid_mappings')) >= 200, 'the mappings');
    expect(await metric('uid_syslog_messages_total', 'outcome="malformed"')).toBe(1);
    expect(await metric('uid_identity_events_total', 'profile="traps-esm-leef"')).toBeGreaterThanOrEqual(200);
    const body = (await (await fetch(`${base}/v1/mappings/${ips[123]}`)).json()) as { user: string; sender: string };
    expect(body).toMatchObject({ user: 'user123', sender: 'loopback' });
  });

  it('applies a logout after the login it follows', async () => {
    const ips = Array.from({ length: 50 }, (_, i) => `10.78.0.${i + 1}`);
    await send(ips.map((ip, i) => fortigate('up', `vpn${i}`, ip)));
    await until(async () => (await fetch(`${base}/v1/mappings/${ips[49]}`)).status === 200, 'the logins');
    await send(ips.map((ip, i) => fortigate('down', `vpn${i}`, ip)));
    await until(async () => {
      const statuses = await Promise.all(ips.map(async (ip) => (await fetch(`${base}/v1/mappings/${ip}`)).status));
      return statuses.every((s) => s === 404);
    }, 'the logouts to remove every mapping');
  });

  it('a reload reaches every worker', async () => {
    writeConfig('  ignoreUsers: [ignored*]');
    listener.kill('SIGHUP');
    await until(() => output.includes('udp-workers-reloaded'), 'every worker to confirm the reload');
    const before = await metric('uid_identity_dropped_total', 'reason="ignored_user"');
    const senders = Array.from({ length: 8 }, () => createSocket('udp4'));
    try {
      for (let i = 0; i < 40; i++) {
        const s = senders[i % senders.length]!;
        await new Promise<void>((resolve) => s.send(esm(`ignored${i}`, `10.79.0.${i + 1}`), udpPort, '127.0.0.1', () => resolve()));
      }
    } finally {
      for (const s of senders) s.close();
    }
    await until(async () => (await metric('uid_identity_dropped_total', 'reason="ignored_user"')) - before === 40, 'every worker to ignore the users');
    expect((await fetch(`${base}/v1/mappings/10.79.0.1`)).status).toBe(404);
  });

  it('leaves stopping to the listener: a signal that reaches a worker (process group, systemd) does not end it', async () => {
    const workers = childrenOf(listener.pid!);
    for (const pid of workers) process.kill(pid, 'SIGTERM');
    for (const pid of workers) process.kill(pid, 'SIGINT');
    const before = await accepted();
    await send([esm('still', '10.80.0.2')]);
    await until(async () => (await accepted()) === before + 1, 'a message after the signals');
    expect(childrenOf(listener.pid!).sort()).toEqual(workers.sort());
    expect(output).not.toContain('udp-worker-exited');
  });

  it('replaces a worker that dies and keeps its counts', async () => {
    const before = await accepted();
    const [victim] = childrenOf(listener.pid!);
    process.kill(victim!, 'SIGKILL');
    await until(() => output.includes('udp-worker-exited'), 'the exit to be reported');
    await until(async () => (await metric('uid_udp_workers')) === 2 && childrenOf(listener.pid!).length === 2, 'a new worker', 20_000);
    expect(await accepted()).toBeGreaterThanOrEqual(before);
    await send([esm('after', '10.80.0.1')]);
    await until(async () => (await accepted()) === before + 1, 'the message after the restart');
  }, 30_000);

  it('SIGTERM stops the workers and the listener', async () => {
    const workers = childrenOf(listener.pid!);
    listener.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
  });
});
