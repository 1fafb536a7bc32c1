/**
 * The bound: a bare node:dgram receiver that only counts datagrams, with the same receive
 * buffer as the listener. What Node itself can take on this machine, one thread.
 * Child process: `node bare-udp.mjs PORT BUFFER_BYTES`; answers any IPC message with
 * {count}.
 */
import { createSocket } from 'node:dgram';

const [port, buffer] = process.argv.slice(2).map(Number);
const socket = createSocket('udp4');
let count = 0;
socket.on('message', () => {
  count++;
});
socket.bind(port, '127.0.0.1', () => {
  try {
    socket.setRecvBufferSize(buffer);
  } catch {
    // what the kernel allows; the harness reports rmem_max
  }
  process.send({ ready: true });
});
process.on('message', () => process.send({ count }));
process.on('disconnect', () => process.exit(0));
