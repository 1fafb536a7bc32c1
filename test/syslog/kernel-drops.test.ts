import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readUdpRcvbufErrors, udpKernelDropCounter } from '../../src/syslog/kernel-drops.js';

const made: string[] = [];
const temporary = () => { const dir = mkdtempSync(join(tmpdir(), 'uid-procnet-')); made.push(dir); return dir; };
afterAll(() => { for (const dir of made) rmSync(dir, { recursive: true, force: true }); });

function procNet(v4RcvbufErrors: number, v6RcvbufErrors?: number): string {
  const dir = temporary();
  rewrite(dir, v4RcvbufErrors, v6RcvbufErrors);
  return dir;
}

function rewrite(dir: string, v4: number, v6?: number): void {
  writeFileSync(join(dir, 'snmp'), [
    'Tcp: RtoAlgorithm RtoMin', 'Tcp: 1 200',
    'Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors',
    `Udp: 200039 192554 ${v4} 392594 ${v4} 0 0 0 0`,
    'UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors',
    'UdpLite: 0 0 0 0 999 0 0 0 0', '',
  ].join('\n'));
  if (v6 !== undefined) writeFileSync(join(dir, 'snmp6'), `Udp6InDatagrams                 \t5\nUdp6RcvbufErrors                \t${v6}\n`);
}

describe('UDP kernel drops', () => {
  it('adds Udp RcvbufErrors (snmp) and Udp6RcvbufErrors (snmp6), not UdpLite', () => {
    expect(readUdpRcvbufErrors(procNet(7, 5))).toBe(12);
    expect(readUdpRcvbufErrors(procNet(7))).toBe(7);
    expect(readUdpRcvbufErrors('/nonexistent')).toBeUndefined();
  });

  it('counts from zero at creation, and stays 0 where /proc has nothing', () => {
    const dir = procNet(100, 1);
    const drops = udpKernelDropCounter(dir);
    expect(drops()).toBe(0);
    rewrite(dir, 130, 4);
    expect(drops()).toBe(33);
    expect(udpKernelDropCounter('/nonexistent')()).toBe(0);
  });

  it('reads this machine', () => {
    expect(readUdpRcvbufErrors()).toBeGreaterThanOrEqual(0);
  });
});
