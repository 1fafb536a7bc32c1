/**
 * `uid_udp_kernel_drops_total`: datagrams the kernel dropped because a UDP receive buffer
 * was full — Udp RcvbufErrors in /proc/net/snmp plus Udp6RcvbufErrors in /proc/net/snmp6.
 * The kernel counts these per network namespace, not per socket: on a host where other
 * programs receive UDP the figure includes their drops too (docs/syslog.md).
 */
import { readFileSync } from 'node:fs';

/** Sum of UDP receive-buffer drops of the namespace, or undefined where /proc has none. */
export function readUdpRcvbufErrors(procNet = '/proc/net'): number | undefined {
  const v4 = fieldOf(read(`${procNet}/snmp`), 'Udp:', 'RcvbufErrors');
  const v6 = fieldOf(read(`${procNet}/snmp6`), undefined, 'Udp6RcvbufErrors');
  if (v4 === undefined && v6 === undefined) return undefined;
  return (v4 ?? 0) + (v6 ?? 0);
}

/**
 * A counter function for the metric: drops since it was created (a counter starts at 0
 * with the process), 0 where the kernel does not tell.
 */
export function udpKernelDropCounter(procNet = '/proc/net'): () => number {
  const baseline = readUdpRcvbufErrors(procNet) ?? 0;
  return () => Math.max(0, (readUdpRcvbufErrors(procNet) ?? baseline) - baseline);
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

/**
 * /proc/net/snmp holds pairs of lines, `Udp: Name Name …` then `Udp: 1 2 …`;
 * /proc/net/snmp6 holds `Name value` lines (prefix undefined).
 */
function fieldOf(text: string | undefined, prefix: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const lines = text.split('\n');
  if (prefix === undefined) {
    for (const line of lines) {
      const [key, value] = line.trim().split(/\s+/);
      if (key === name && value !== undefined && /^\d+$/.test(value)) return Number(value);
    }
    return undefined;
  }
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i]!.startsWith(prefix) || !lines[i + 1]!.startsWith(prefix)) continue;
    const names = lines[i]!.trim().split(/\s+/);
    const values = lines[i + 1]!.trim().split(/\s+/);
    const at = names.indexOf(name);
    const value = at > 0 ? values[at] : undefined;
    if (value !== undefined && /^\d+$/.test(value)) return Number(value);
    return undefined;
  }
  return undefined;
}
