/** What a result depends on besides the code: the machine, its load, its kernel limits. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';

function readText(path) {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function machineInfo() {
  const osRelease = readText('/etc/os-release')?.match(/^PRETTY_NAME="?([^"\n]*)"?/m)?.[1];
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    ramGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: release(),
    os: osRelease ?? process.platform,
    rmemMax: Number(readText('/proc/sys/net/core/rmem_max') ?? NaN),
    rsyslog: versionOf('rsyslogd', ['-v'], /rsyslogd\s+(\S+)/),
    wrk: versionOf('wrk', ['--version'], /wrk\s+(\S+)/),
  };
}

/** The 1-minute load average, rounded: noted beside every figure. */
export function load() {
  return Math.round(loadavg()[0] * 100) / 100;
}

/** Host-wide UDP counters from /proc/net/snmp (Linux): RcvbufErrors counts datagrams dropped for a full receive buffer. */
export function udpCounters() {
  const text = readText('/proc/net/snmp');
  if (!text) return { rcvbufErrors: 0, inErrors: 0 };
  const [names, values] = text.split('\n').filter((line) => line.startsWith('Udp:'));
  const row = Object.fromEntries(names.split(/\s+/).slice(1).map((name, i) => [name, Number(values.split(/\s+/)[i + 1])]));
  return { rcvbufErrors: row.RcvbufErrors ?? 0, inErrors: row.InErrors ?? 0 };
}

/** The path of a program on PATH, or null. */
export function which(program) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(`${dir}/${program}`)) return `${dir}/${program}`;
  }
  for (const dir of ['/usr/sbin', '/sbin']) if (existsSync(`${dir}/${program}`)) return `${dir}/${program}`;
  return null;
}

function versionOf(program, args, pattern) {
  const path = which(program);
  if (!path) return null;
  try {
    const out = execFileSync(path, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 });
    return out.match(pattern)?.[1] ?? 'unknown';
  } catch (error) {
    return String(error.stdout ?? '').match(pattern)?.[1] ?? 'unknown';
  }
}
