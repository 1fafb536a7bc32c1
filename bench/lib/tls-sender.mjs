/**
 * TLS load generator: `node tls-sender.mjs PORT CONNECTIONS SECONDS MESSAGES_FILE CA_FILE`.
 * Opens CONNECTIONS TLS connections to 127.0.0.1:PORT and writes the file's lines as
 * RFC 6587 octet-counted frames (the framing RFC 5425 requires), in 64 KiB writes, as fast
 * as each connection drains, for SECONDS. Prints {"sent":N,"seconds":S}.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:tls';

const [port, connections, seconds] = process.argv.slice(2, 5).map(Number);
const [file, caFile] = process.argv.slice(5, 7);
const ca = readFileSync(caFile);

// The framed messages, cut into chunks of whole frames of about 64 KiB.
const chunks = [];
const counts = [];
let parts = [];
let size = 0;
for (const line of readFileSync(file, 'utf8').split('\n')) {
  if (line === '') continue;
  const body = Buffer.from(line);
  parts.push(Buffer.from(`${body.length} `), body);
  size += body.length + 8;
  if (size >= 65536) {
    chunks.push(Buffer.concat(parts));
    counts.push(parts.length / 2);
    parts = [];
    size = 0;
  }
}
if (parts.length > 0) {
  chunks.push(Buffer.concat(parts));
  counts.push(parts.length / 2);
}

let sent = 0;
const began = performance.now();
const deadline = began + seconds * 1000;

function drive(index) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      let next = (index * 7919) % chunks.length;
      const pump = () => {
        while (performance.now() < deadline) {
          const ok = socket.write(chunks[next]);
          sent += counts[next];
          next = (next + 1) % chunks.length;
          if (!ok) return void socket.once('drain', pump);
        }
        socket.end(() => resolve());
      };
      pump();
    });
    socket.on('error', reject);
  });
}

await Promise.all(Array.from({ length: connections }, (_, i) => drive(i)));
process.stdout.write(`${JSON.stringify({ sent, seconds: (performance.now() - began) / 1000 })}\n`);
