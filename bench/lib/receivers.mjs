/**
 * The receivers a benchmark races, behind one shape:
 *   { name, role, pid, port, processed(): Promise<number>, stop() }
 * `processed` counts what the receiver actually handled: the listener's own counters, the
 * lines rsyslog wrote, the bare receiver's count.
 */
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { start, until } from './proc.mjs';

const BARE_UDP = fileURLToPath(new URL('./bare-udp.mjs', import.meta.url));

export async function startBareUdp(port, bufferBytes) {
  const proc = start(process.execPath, [BARE_UDP, String(port), String(bufferBytes)], { ipc: true });
  await Promise.race([once(proc.child, 'message'), proc.exited.then(() => { throw new Error(`bare receiver exited:\n${proc.output}`); })]);
  const processed = async () => {
    proc.child.send('count');
    const [{ count }] = await once(proc.child, 'message');
    return count;
  };
  return { name: 'bare node:dgram', role: 'bound', pid: proc.pid, port, processed, stop: () => proc.stop() };
}

/** Sends probe datagrams (`send()`) until `processed()` moves: the receiver is up. */
export async function probe(receiver, send) {
  const before = await receiver.processed();
  await until(async () => {
    send();
    return (await receiver.processed()) > before;
  }, `${receiver.name} to receive`, 20_000, 100);
}
