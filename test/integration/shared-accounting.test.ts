/**
 * Accounting exactly once across listeners (issue 12): two listeners on one Redis, each
 * hearing half the logins and refreshing the other half, give the RFC-based TACACS+ test
 * server exactly one START and one STOP per mapping, with the task_id made in Redis.
 */
import { describe, expect, it } from 'vitest';
import { churnIp } from '../support/listener-clients.js';
import { FLAGS, arg, flagsByTask } from '../support/listener-data.js';
import { waitUntil } from '../support/listener.js';
import { sendChurn, servedTable, startShared, testPrefix, waitForSize , sharedServers } from './shared-table-support.js';

const servers = sharedServers();

const N = 60;
const ips = Array.from({ length: N }, (_, i) => churnIp(i, 32));

/** Every user-id session the server saw must be exactly START then STOP. */
function expectOneStartOneStop(expected: number): void {
  const sessions = flagsByTask(servers.tacacs.requests);
  expect(sessions.size).toBe(expected);
  for (const [taskId, flags] of sessions) expect(flags, `task ${taskId}`).toEqual([FLAGS.start, FLAGS.stop]);
}

describe('accounting of a shared table', () => {
  it('sends one START and one STOP per mapping, whichever listener heard it', async () => {
    servers.tacacs.requests.length = 0;
    const prefix = testPrefix();
    const [a, b] = await Promise.all([startShared(servers.redis, prefix, servers.accounting()), startShared(servers.redis, prefix, servers.accounting())]);
    const half = N / 2;
    await Promise.all([
      sendChurn(a, ips.slice(0, half).map((ip, i) => ['login', `u${i}`, ip])),
      sendChurn(b, ips.slice(half).map((ip, i) => ['login', `u${half + i}`, ip])),
    ]);
    await Promise.all([waitForSize(a, N), waitForSize(b, N)]);
    await Promise.all([
      sendChurn(a, ips.slice(half).map((ip, i) => ['login', `u${half + i}`, ip])),
      sendChurn(b, ips.slice(0, half).map((ip, i) => ['login', `u${i}`, ip])),
    ]);
    // sendChurn returns once the lines are written, not applied: wait for both replicas to agree.
    const sorted = async (listener: typeof a): Promise<string> => JSON.stringify([...(await servedTable(listener))].sort(([x], [y]) => (x < y ? -1 : 1)));
    await waitUntil(async () => (await sorted(a)) === (await sorted(b)), 'both listeners serving the same table');
    const served = await servedTable(a);
    expect(await servedTable(b)).toEqual(served);
    await sendChurn(a, ips.slice(0, half).map((ip, i) => ['logout', `u${i}`, ip]));
    await sendChurn(b, ips.slice(half).map((ip, i) => ['logout', `u${half + i}`, ip]));
    await Promise.all([waitForSize(a, 0), waitForSize(b, 0)]);
    await waitUntil(() => flagsByTask(servers.tacacs.requests).size === N && [...flagsByTask(servers.tacacs.requests).values()].every((f) => f.length >= 2),
      `${N} sessions started and stopped`);
    // Let anything doubled arrive before counting: both listeners settle their queues.
    await waitUntil(async () => {
      const pending = await Promise.all([a, b].map(async (l) => (await l.metrics()).get('uid_accounting_stream_pending_records{group="primary"}') ?? 0));
      return pending.every((p) => p === 0);
    }, 'every stream record acknowledged');
    expectOneStartOneStop(N);
    for (const request of servers.tacacs.requests.filter((r) => arg(r.args, 'service') === 'user-id')) {
      expect(arg(request.args, 'task_id')).toMatch(/^[0-9a-z]+-\d+$/); // made in Redis: <epoch>-<seq>
    }
  });
});
