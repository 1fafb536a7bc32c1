/**
 * Child processes of a benchmark run and waiting on conditions. Every child is killed when
 * the run ends, however it ends, so a failed run leaves no receiver behind.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';

const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of running) child.kill('SIGKILL');
    process.exit(130);
  });
}

/**
 * Starts a child; `output` collects its stdout and stderr (the last 64 KiB) for error
 * reports. `exited` resolves with the exit code.
 */
export function start(command, args, options = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe', ...(options.ipc ? ['ipc'] : [])], ...options.spawn });
  running.add(child);
  const proc = { child, pid: child.pid, output: '' };
  const keep = (chunk) => {
    proc.output = (proc.output + chunk).slice(-65536);
  };
  child.stdout.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', keep);
  proc.exited = new Promise((resolve) => {
    child.on('error', (error) => {
      keep(`\n${error.message}\n`);
      resolve(-1);
    });
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal);
    });
  });
  proc.alive = () => child.exitCode === null && child.signalCode === null;
  /** Asks it to stop (SIGTERM), then kills it after `graceMs`. */
  proc.stop = async (graceMs = 5000) => {
    if (!proc.alive()) return proc.exited;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await proc.exited;
    clearTimeout(timer);
    return code;
  };
  return proc;
}

/** Runs a command to completion; resolves with its stdout, rejects with its output on failure. */
export async function run(command, args, options = {}) {
  const proc = start(command, args, options);
  const code = await proc.exited;
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}:\n${proc.output}`);
  return proc.output;
}

/** Resolves once `check()` (sync or async) is truthy; rejects after `timeoutMs` naming `what`. */
export async function until(check, what, timeoutMs = 15_000, intervalMs = 25) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * Waits until `read()` (a count) stops changing for `quietMs`, then returns it: how a
 * benchmark knows a receiver has finished what it was sent.
 */
export async function settled(read, quietMs, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    if (Date.now() > deadline) return last;
    await sleep(Math.min(50, quietMs / 4));
    const now = await read();
    if (now !== last) {
      last = now;
      since = Date.now();
    }
  }
  return last;
}

/** A port free on 127.0.0.1 for both TCP and UDP at the time of asking. */
export async function freePort() {
  for (;;) {
    const server = createServer();
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address();
    await new Promise((resolve) => server.close(resolve));
    const udp = createSocket('udp4');
    const ok = await new Promise((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    udp.close();
    if (ok) return port;
  }
}

/** CPU time (user + system, in seconds) used so far by a process and all its descendants (Linux). */
export function cpuSeconds(pid) {
  const ticks = 100; // USER_HZ on Linux
  const parents = new Map();
  const own = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
      own.set(Number(entry), Number(fields[11]) + Number(fields[12]));
    } catch {
      // gone meanwhile
    }
  }
  let total = 0;
  for (const [candidate, used] of own) {
    for (let p = candidate; p !== undefined && p > 1; p = parents.get(p)) {
      if (p === pid) {
        total += used;
        break;
      }
    }
  }
  return total / ticks;
}
