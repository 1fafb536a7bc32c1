// A lookup thread for share.test.ts: opens the Redis table's replica from its share() and
// polls for one address until it is mapped or the deadline passes, then says what it saw.
// Runs the built reader (dist/, made by `npm run build`, which `npm test` runs first).
import { parentPort, workerData } from 'node:worker_threads';
import { openTableReader } from '../../../dist/mappings/shared-memory/reader.js';

const { share, ip, deadlineMs } = workerData;
const reader = openTableReader(share);
parentPort.postMessage({ ready: true, stale: reader.stale });
const deadline = Date.now() + deadlineMs;
let mapping;
while (mapping === undefined && Date.now() < deadline) mapping = reader.get(ip, Date.now());
parentPort.postMessage({ mapping, stale: reader.stale, size: reader.size });
