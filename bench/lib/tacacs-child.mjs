/**
 * The RFC 8907 test server of test/support (compiled into bench/out/support by the
 * accounting part) in its own process: `node tacacs-child.mjs KEY`. Sends {port} over IPC
 * when listening and answers any message with {requests, violations}.
 */
const { TacacsTestServer } = await import('../out/support/tacacs-server.js');

const server = await TacacsTestServer.start({ key: process.argv[2] });
process.send({ port: server.port });
process.on('message', () => process.send({ requests: server.requests.length, violations: server.violations.length }));
process.on('disconnect', () => process.exit(0));
