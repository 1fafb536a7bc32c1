/**
 * fastify alone, for the HTTP part: GET /v1/mappings/:ip answering one constant body
 * through a schema-serialised route, no table, hooks or auth, so the difference between it
 * and the bare server is fastify's cost and the rest is ours. Child process:
 * `node fastify-http.mjs BODY`; sends {port} over IPC when ready.
 */
import Fastify from 'fastify';

const body = JSON.parse(process.argv[2]);
const properties = Object.fromEntries(Object.keys(body).map((key) => [key, { type: 'string' }]));
const app = Fastify({ logger: false });
app.get('/v1/mappings/:ip', { schema: { response: { 200: { type: 'object', properties } } } }, () => body);
await app.listen({ host: '127.0.0.1', port: 0 });
process.send({ port: app.server.address().port });
process.on('disconnect', () => process.exit(0));
