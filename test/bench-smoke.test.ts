/**
 * Keeps the benchmarks working (issue 6): a few-second `--smoke` run of every part of
 * bench/run.mjs, asserting that each ran and produced figures, not how fast anything is.
 * Needs the build (`npm test` does it first; alone: `npx tsc -p tsconfig.build.json`), a C
 * compiler for the UDP sender, and — for the reference columns — rsyslog, rsyslog-openssl
 * and wrk; a reference that is not installed is reported as such instead of measured.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Sample {
  readonly receiver?: string;
  readonly server?: string;
  /** HTTP: the listener taking UDP ingest meanwhile, or null when quiet. */
  readonly ingest?: string | null;
  readonly processed?: number;
  readonly delivered?: number;
  readonly rps?: number;
  readonly fixedRps?: number;
}
interface PartResult {
  readonly error?: string;
  readonly tables?: { readonly caption: string; readonly markdown: string }[];
  readonly notes?: string[];
  readonly samples?: Sample[];
  readonly figures?: Record<string, unknown>;
}

function installed(program: string): boolean {
  return (process.env['PATH'] ?? '').split(':').concat('/usr/sbin', '/sbin').some((dir) => dir !== '' && existsSync(join(dir, program)));
}

const RSYSLOG = installed('rsyslogd');

let dir: string;
let parts: Record<string, PartResult>;
let output = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'uid-bench-smoke-'));
  const out = join(dir, 'results.json');
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bench', 'run.mjs'), '--smoke', '--out', out], { cwd: ROOT });
    child.stdout.setEncoding('utf8').on('data', (d: string) => { output += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { output += d; });
    child.on('error', reject);
    child.on('close', resolve);
  });
  expect(code, output).toBe(0);
  parts = (JSON.parse(readFileSync(out, 'utf8')) as { parts: Record<string, PartResult> }).parts;
}, 240_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The samples of a part that measured `name` (rsyslog: any of its inputs). */
function samplesOf(part: PartResult, name: string): Sample[] {
  return (part.samples ?? []).filter((s) => {
    const who = s.receiver ?? s.server ?? '';
    return who === name || (name === 'rsyslog' && who.startsWith('rsyslog '));
  });
}

describe('bench --smoke', () => {
  it('runs every part without an error and renders each as a table', () => {
    expect(Object.keys(parts).sort()).toEqual(['accounting', 'http', 'identify', 'memory', 'redis', 'stages', 'tls', 'udp']);
    for (const [name, part] of Object.entries(parts)) {
      expect(part.error, `${name}: ${part.error}`).toBeUndefined();
      expect(part.tables?.length, name).toBeGreaterThan(0);
      for (const t of part.tables!) expect(t.markdown.split('\n').length, `${name}: ${t.caption}`).toBeGreaterThan(2);
    }
  });

  it('UDP: the listener (with and without workers), the bare receiver and (when installed) rsyslog processed the traffic', () => {
    const udp = parts['udp']!;
    for (const name of ['uid-listener', 'uid-listener (2 UDP workers)', 'bare node:dgram', ...(RSYSLOG ? ['rsyslog'] : [])]) {
      const samples = samplesOf(udp, name);
      expect(samples.length, name).toBeGreaterThan(0);
      for (const s of samples) expect(s.processed, name).toBeGreaterThan(0);
    }
    if (!RSYSLOG) expect(udp.notes?.join(' ')).toContain('rsyslog not measured');
  });

  it('TLS: the listener and (when installed) rsyslog took messages over TLS', () => {
    for (const name of ['uid-listener', ...(RSYSLOG ? ['rsyslog'] : [])]) {
      const samples = samplesOf(parts['tls']!, name);
      expect(samples.length, name).toBeGreaterThan(0);
      for (const s of samples) expect(s.delivered, name).toBeGreaterThan(0);
    }
  });

  it('HTTP: the servers answered at the maximum and at the fixed rate, quiet and during ingest', () => {
    for (const name of ['uid-listener', 'uid-listener (2 UDP workers)', 'bare node:http']) {
      const samples = samplesOf(parts['http']!, name);
      expect(samples.filter((s) => !s.ingest).length, name).toBe(1);
      expect(samples.filter((s) => s.ingest).length, name).toBeGreaterThan(0);
      for (const s of samples) {
        expect(s.rps, name).toBeGreaterThan(0);
        expect(s.fixedRps, name).toBeGreaterThan(0);
      }
    }
  });

  it('HTTP: GET /v1/auth answered 200 at the maximum and at the fixed rate (any other answer fails the part)', () => {
    const samples = samplesOf(parts['http']!, 'uid-listener GET /v1/auth');
    expect(samples.length).toBe(1);
    expect(samples[0]!.rps).toBeGreaterThan(0);
    expect(samples[0]!.fixedRps).toBeGreaterThan(0);
  });

  it('accounting, memory, identify and stages produced their figures', () => {
    const accounting = parts['accounting']!.figures as { perSecond: number; raw: number };
    expect(accounting.perSecond).toBeGreaterThan(0);
    expect(accounting.raw).toBeGreaterThan(0);
    expect(Object.keys(parts['memory']!.figures!)).toHaveLength(2);
    expect(Object.keys(parts['identify']!.figures!)).toHaveLength(2);
    // Each mix timed at every stage, and a longer path never measured as cheaper than nothing.
    const stages = parts['stages']!.figures as Record<string, Record<string, number>>;
    expect(Object.keys(stages)).toHaveLength(2);
    for (const mix of Object.values(stages)) {
      expect(Object.keys(mix)).toEqual(['admit', 'prefilter', 'identify', 'normalise', 'table', 'event ring', 'accounting']);
      for (const ns of Object.values(mix)) expect(ns).toBeGreaterThan(0);
    }
  });
});
