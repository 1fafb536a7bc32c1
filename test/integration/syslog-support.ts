/**
 * Shared helpers of the syslog socket tests: a recording handler, waiting on conditions
 * with a deadline (no sleeps), loopback sender tables.
 */
import { execFileSync } from 'node:child_process';
import type { Socket } from 'node:net';
import type { SenderConfig, Transport } from '../../src/config/schema.js';
import type { SyslogEvent } from '../../src/syslog/events.js';
import type { MessageHandler } from '../../src/syslog/message.js';
import { SenderTable } from '../../src/syslog/senders.js';

export interface Received {
  readonly text: string;
  readonly sender: string;
  readonly transport: Transport;
}

/** A handler that records what it is given. */
export function recorder(respond?: (index: number) => void | Promise<void>) {
  const received: Received[] = [];
  const handler: MessageHandler = (data, sender, transport) => {
    received.push({ text: data.toString('utf8'), sender: sender.name, transport });
    return respond?.(received.length - 1);
  };
  return { received, handler, texts: () => received.map((r) => r.text) };
}

export function eventLog() {
  const events: SyslogEvent[] = [];
  return { events, onEvent: (e: SyslogEvent) => void events.push(e), of: <T extends SyslogEvent['type']>(type: T) =>
    events.filter((e): e is Extract<SyslogEvent, { type: T }> => e.type === type) };
}

/** Resolves once `condition` holds; rejects after `timeoutMs` with `what`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Resolves when the socket has closed (for whatever reason). */
export function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed && socket.closed) resolve();
    else socket.once('close', () => resolve());
  });
}

export const LOOPBACK: SenderConfig = { name: 'loopback', address: '127.0.0.0/8', transports: ['udp', 'tcp', 'tls'] };
export const LOOPBACK6: SenderConfig = { name: 'loopback6', address: '::1', transports: ['udp', 'tcp', 'tls'] };

export function loopbackSenders(extra: Partial<SenderConfig> = {}): SenderTable {
  return new SenderTable([{ ...LOOPBACK, ...extra }, { ...LOOPBACK6, ...extra }]);
}

/** A table that admits nobody on this machine. */
export const ELSEWHERE = new SenderTable([{ name: 'elsewhere', address: '192.0.2.0/24', transports: ['udp', 'tcp', 'tls'] }]);

export const hasLogger = (() => {
  try {
    execFileSync('logger', ['--version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
})();

/** util-linux logger, sending one message to 127.0.0.1:port. */
export function logger(port: number, args: string[], message: string): void {
  execFileSync('logger', [...args, '-n', '127.0.0.1', '-P', String(port), '-t', 'uidtest', message], { stdio: 'pipe', timeout: 10_000 });
}
