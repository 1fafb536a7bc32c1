/**
 * The folder and config a test listener runs on (test/support/listener.ts starts it):
 * `config.yaml`, `profiles/` (a copy of the shipped profiles, so a test may edit them) and
 * `data/`. The config schema has no port 0, so free ports are found by binding port 0
 * and letting go.
 */
import { createSocket } from 'node:dgram';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { testPki } from './certs.js';

const SHIPPED_PROFILES = fileURLToPath(new URL('../../profiles', import.meta.url));

export interface Ports { readonly udp: number; readonly tcp: number; readonly tls: number; readonly http: number }

export type ConfigPatch = { readonly [key: string]: unknown };

export interface ListenerOptions {
  /** Merged over the base config: objects key by key, arrays and scalars replaced. */
  readonly config?: ConfigPatch;
  /** Run on this folder (its config, profiles and data): a restart. */
  readonly dir?: string;
  /** Environment of the child (for `${NAME}` secrets); in-process listeners read process.env. */
  readonly env?: Readonly<Record<string, string>>;
  /** Keep the config file as it is (a restart after a test edited it). */
  readonly keepConfig?: boolean;
  /** Extra profile files (name → YAML) written into the profiles folder before the start. */
  readonly profiles?: Readonly<Record<string, string>>;
  /** A command the child process runs under (e.g. setpriv dropping a capability). */
  readonly wrapper?: readonly string[];
}

const dirs = new Set<string>();

/** The folder a test listener runs in: `config.yaml`, `profiles/`, `data/`. */
export async function listenerDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'uid-listener-'));
  dirs.add(dir);
  await cp(SHIPPED_PROFILES, join(dir, 'profiles'), { recursive: true });
  return dir;
}

/** Removes every folder listenerDir made (after the listeners on them stopped). */
export async function removeListenerDirs(): Promise<void> {
  await Promise.all([...dirs].map((d) => rm(d, { recursive: true, force: true })));
  dirs.clear();
}

/** Four distinct TCP ports free right now on 127.0.0.1; the first is also free for UDP. */
export async function freePorts(): Promise<Ports> {
  const servers = Array.from({ length: 4 }, () => createServer());
  const ports = await Promise.all(servers.map((s) => new Promise<number>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port));
  })));
  const udp = createSocket('udp4');
  const udpFree = await new Promise<boolean>((resolve) => {
    udp.once('error', () => resolve(false));
    udp.bind(ports[0], '127.0.0.1', () => resolve(true));
  });
  udp.close();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  if (!udpFree) return freePorts();
  const [udpPort, tcp, tls, http] = ports as [number, number, number, number];
  return { udp: udpPort, tcp, tls, http };
}

/** The base config: every transport on 127.0.0.1, one sender (127.0.0.1 only), accounting off. */
export function baseConfig(dir: string, ports: Ports): ConfigPatch {
  const pki = testPki().trusted;
  return {
    syslog: {
      udp: { host: '127.0.0.1', port: ports.udp },
      tls: { host: '127.0.0.1', port: ports.tls, cert: pki.path('server.crt'), key: pki.path('server.key'), ca: pki.path('ca.crt') },
      tcp: { enabled: true, host: '127.0.0.1', port: ports.tcp },
    },
    senders: [{ name: 'lo', address: '127.0.0.1', transports: ['udp', 'tcp', 'tls'] }],
    profilesDir: join(dir, 'profiles'),
    mappings: { snapshot: { path: join(dir, 'data', 'mappings.json'), intervalSeconds: 30 } },
    http: { host: '127.0.0.1', port: ports.http },
    accounting: { mode: 'none', spool: join(dir, 'data', 'accounting') },
    log: { level: 'info' },
  };
}

export function merge(base: ConfigPatch, patch: ConfigPatch): ConfigPatch {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    out[key] = isPlainObject(value) && isPlainObject(current) ? merge(current, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is ConfigPatch {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function writeConfig(file: string, config: ConfigPatch): Promise<void> {
  return writeFile(file, stringify(config));
}

/** Writes the folder and config a listener runs on; returns them. */
export async function prepare(options: ListenerOptions, ports: Ports): Promise<string> {
  const dir = options.dir ?? (await listenerDir());
  for (const [name, yaml] of Object.entries(options.profiles ?? {})) await writeFile(join(dir, 'profiles', name), yaml);
  if (!options.keepConfig) await writeConfig(join(dir, 'config.yaml'), merge(baseConfig(dir, ports), options.config ?? {}));
  return dir;
}

