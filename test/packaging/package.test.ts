/**
 * The package as an operator gets it (docs/operations.md "Install"): `npm pack` from a
 * fresh copy of the repository (prepack builds dist), the tarball's contents and metadata,
 * then the package laid out as `npm install -g --prefix P` lays it out (P/lib/node_modules/
 * uid-listener, P/bin/uid-listener → dist/main.js) and run from there: --help, --version,
 * check on the embedded default, start on ephemeral ports. The systemd unit passes
 * `systemd-analyze verify` with its binary path pointed at that install, and what the
 * Containerfile copies and runs is there (no container engine runs in the test).
 *
 * Offline on purpose: the dependencies are the project's installed node_modules, linked in,
 * not fetched from the registry. The real `npm install -g` of the tarball on Node 20, its
 * engines and install-script warnings are in docs/operations.md.
 */
import { execFile, spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { freePorts } from '../support/listener-config.js';
import { testPki } from '../support/certs.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

let tmp: string;
let files: string[];
let packed: Record<string, unknown>;
let bin: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'uid-pack-'));
  // A fresh clone: the files git knows (and new ones not ignored), no dist.
  const clone = join(tmp, 'clone');
  const { stdout } = await run('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT });
  for (const file of stdout.split('\0').filter((f) => f && f !== 'node_modules')) {
    mkdirSync(dirname(join(clone, file)), { recursive: true });
    cpSync(join(ROOT, file), join(clone, file));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
  const out = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: clone, maxBuffer: 1 << 24 });
  const [info] = JSON.parse(out.stdout.slice(out.stdout.indexOf('['))) as [{ filename: string; files: { path: string }[] }];
  files = info.files.map((f) => f.path);

  const prefix = join(tmp, 'prefix');
  const installed = join(prefix, 'lib', 'node_modules', 'uid-listener');
  mkdirSync(installed, { recursive: true });
  await run('tar', ['xzf', join(tmp, info.filename), '-C', installed, '--strip-components=1']);
  packed = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
  symlinkSync(join(ROOT, 'node_modules'), join(installed, 'node_modules'));
  mkdirSync(join(prefix, 'bin'));
  bin = join(prefix, 'bin', 'uid-listener');
  symlinkSync('../lib/node_modules/uid-listener/dist/main.js', bin);
  chmodSync(join(installed, 'dist', 'main.js'), 0o755); // npm makes bin targets executable on install
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(bin, args, { cwd: tmp });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('npm pack', () => {
  it('ships dist (built by prepack), profiles, docs and packaging; no sources, tests, benches or source maps', () => {
    for (const file of ['dist/main.js', 'dist/app.js', 'profiles/traps-esm-leef.yaml', 'docs/operations.md', 'packaging/uid-listener.service',
      'packaging/Containerfile', 'packaging/healthcheck.mjs', 'packaging/container.yaml', 'certs/make-certs.sh', 'README.md', 'package.json']) {
      expect(files, file).toContain(file);
    }
    expect(files.filter((f) => /^(src|test|bench|scripts)\//.test(f) || f.endsWith('.map') || f.endsWith('.ts'))).toEqual([]);
  });

  // `repository` is left out until the project has a public home: a made-up URL would send
  // npm users somewhere wrong (docs/operations.md, "Publishing").
  it('is publishable: not private, with license, engines and the bin', () => {
    expect(packed['private']).toBeUndefined();
    expect(packed).toMatchObject({ license: 'Apache-2.0', engines: { node: '>=20' }, bin: { 'uid-listener': 'dist/main.js' } });
    // light-my-request 6.8 needs cookie 2, which needs Node 22; a global install ignores our overrides.
    expect((packed['dependencies'] as Record<string, string>)['light-my-request']).toBe('~6.6.0');
  });
});

describe('installed', () => {
  it('answers --help, -h and --version, and checks the embedded default on a fresh install', async () => {
    for (const flag of ['--help', '-h']) {
      const help = await cli([flag]);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^Usage:\n {2}uid-listener start/);
    }
    expect(await cli(['--version'])).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    const checked = await cli(['check']);
    expect(checked.stderr).toBe('');
    expect(checked.stdout).toMatch(/^\(embedded default\): OK: /);
  });

  it('starts on its config, says where it listens, answers the container healthcheck, stops on SIGTERM', async () => {
    const ports = await freePorts();
    const pki = testPki().trusted;
    const dir = join(tmp, 'run');
    mkdirSync(dir, { recursive: true });
    const config = join(dir, 'uid.yaml');
    writeFileSync(config, stringify({
      syslog: {
        udp: { host: '127.0.0.1', port: ports.udp },
        tls: { host: '127.0.0.1', port: ports.tls, cert: pki.path('server.crt'), key: pki.path('server.key') },
      },
      senders: [{ name: 'lo', address: '127.0.0.1' }],
      profilesDir: join(dirname(bin), '..', 'lib', 'node_modules', 'uid-listener', 'profiles'),
      mappings: { snapshot: { path: join(dir, 'mappings.jsonl') } },
      http: { host: '127.0.0.1', port: ports.http },
    }));
    const child = spawn(bin, ['start', '--config', config], { cwd: dir });
    let out = '';
    const started = new Promise<Record<string, unknown>>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const line = out.split('\n').find((l) => l.includes('"uid-listener started"'));
        if (line) resolve(JSON.parse(line) as Record<string, unknown>);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code} before starting:\n${out}`)));
    });
    const line = await started;
    expect(line).toMatchObject({ http: `127.0.0.1:${ports.http}` });
    const healthcheck = join(dirname(bin), '..', 'lib', 'node_modules', 'uid-listener', 'packaging', 'healthcheck.mjs');
    await expect(run(process.execPath, [healthcheck, `http://127.0.0.1:${ports.http}/healthz`])).resolves.toBeDefined();
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // Nothing listens now: the healthcheck fails.
    await expect(run(process.execPath, [healthcheck, `http://127.0.0.1:${ports.http}/healthz`])).rejects.toMatchObject({ code: 1 });
  }, 30_000);
});

describe('packaging/', () => {
  it('has a systemd unit that passes systemd-analyze verify, hardened, non-root, reloading with SIGHUP', async () => {
    const unit = readFileSync(join(ROOT, 'packaging', 'uid-listener.service'), 'utf8');
    for (const setting of ['AmbientCapabilities=CAP_NET_BIND_SERVICE', 'StateDirectory=uid-listener', 'Restart=on-failure',
      'ExecReload=/bin/kill -HUP $MAINPID', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes',
      'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX']) {
      expect(unit).toContain(`\n${setting}\n`);
    }
    expect(unit).toMatch(/\nUser=(?!root\n)\w[\w-]*\n/);
    // verify checks that ExecStart's binary exists: point it at the install above.
    const local = join(tmp, 'uid-listener.service');
    writeFileSync(local, unit.replaceAll('/usr/local/bin/uid-listener', bin));
    const { stdout, stderr } = await run('systemd-analyze', ['verify', local]);
    expect(stdout + stderr).toBe('');
  });

  it('has a Containerfile whose copied files exist, non-root, with the ports, a state volume and a healthcheck', () => {
    const text = readFileSync(join(ROOT, 'packaging', 'Containerfile'), 'utf8').replace(/\\\n/g, ' ');
    const lines = text.split('\n').filter((l) => !l.startsWith('#'));
    expect(lines.filter((l) => l.startsWith('FROM ')).map((l) => l.split(' ')[1])).toEqual(['node:22-bookworm-slim', 'node:22-bookworm-slim']);
    for (const copy of lines.filter((l) => l.startsWith('COPY ') && !l.includes('--from='))) {
      const sources = copy.split(/\s+/).slice(1, -1);
      for (const source of sources) expect(() => readFileSync(join(ROOT, source)), source).not.toThrow(/ENOENT/);
    }
    expect(lines).toContain('EXPOSE 514/udp 514/tcp 6514 8080');
    expect(lines).toContain('USER node');
    expect(lines).toContain('VOLUME ["/var/lib/uid-listener"]');
    expect(lines.find((l) => l.startsWith('HEALTHCHECK'))).toContain('/app/packaging/healthcheck.mjs');
    expect(lines).toContain('CMD ["start", "--config", "/app/packaging/container.yaml"]');
  });

  it('has a container config that loads, with state on the volume and a token required', async () => {
    const { config, profiles } = await loadConfig(join(ROOT, 'packaging', 'container.yaml'), { UID_LISTENER_TOKEN: 'secret-token' });
    expect(profiles.names.length).toBeGreaterThan(0);
    expect(config.mappings.snapshot.path).toBe('/var/lib/uid-listener/mappings.jsonl');
    expect(config.accounting.spool).toBe('/var/lib/uid-listener/accounting');
    expect(config.http.tokens).toEqual(['secret-token']);
    await expect(loadConfig(join(ROOT, 'packaging', 'container.yaml'), {})).rejects.toThrow(/UID_LISTENER_TOKEN is not set/);
  });
});
