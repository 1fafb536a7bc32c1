/**
 * The HTTP reference: a bare node:http server answering every request with one constant
 * JSON body. Child process: `node bare-http.mjs BODY`; sends {port} over IPC when ready.
 */
import { createServer } from 'node:http';

const body = Buffer.from(process.argv[2]);
const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length };
const server = createServer((req, res) => {
  res.writeHead(200, headers);
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('disconnect', () => process.exit(0));
