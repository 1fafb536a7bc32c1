import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { whenReady } from '../../src/accounting/transport.js';
import { UidError } from '../../src/errors.js';

/** Just enough of a socket for whenReady: events and destroy(). */
class FakeSocket extends EventEmitter {
  destroyed = false;
  destroy(): this {
    this.destroyed = true;
    return this;
  }
}

function fake(): { socket: FakeSocket; asSocket: Socket } {
  const socket = new FakeSocket();
  return { socket, asSocket: socket as unknown as Socket };
}

describe('whenReady (connect and handshake timeout)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('rejects with UID_ERR_TACACS_TIMEOUT and destroys the socket when nothing happens in time', async () => {
    const { socket, asSocket } = fake();
    const ready = whenReady(asSocket, 'secureConnect', '10.0.0.9:300', 3000);
    const outcome = ready.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(2999);
    expect(socket.destroyed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const error = (await outcome) as UidError;
    expect(error.code).toBe('UID_ERR_TACACS_TIMEOUT');
    expect(error.message).toBe('cannot connect to 10.0.0.9:300: no connection within 3000 ms');
    expect(socket.destroyed).toBe(true);
  });

  it('resolves on the ready event, and a later socket error does not throw', async () => {
    const { socket, asSocket } = fake();
    const ready = whenReady(asSocket, 'connect', 'h:49', 1000);
    socket.emit('connect');
    await expect(ready).resolves.toBe(asSocket);
    expect(() => socket.emit('error', new Error('late'))).not.toThrow();
    await vi.advanceTimersByTimeAsync(5000);
    expect(socket.destroyed).toBe(false);
  });

  it('rejects with UID_ERR_TACACS_CONNECT on error or on an early close', async () => {
    const refused = fake();
    const first = whenReady(refused.asSocket, 'connect', 'h:49', 1000);
    refused.socket.emit('error', new Error('connect ECONNREFUSED 127.0.0.1:49'));
    await expect(first).rejects.toMatchObject({ code: 'UID_ERR_TACACS_CONNECT', message: 'cannot connect to h:49: connect ECONNREFUSED 127.0.0.1:49' });
    const closed = fake();
    const second = whenReady(closed.asSocket, 'secureConnect', 'h:300', 1000);
    closed.socket.emit('close');
    await expect(second).rejects.toMatchObject({ code: 'UID_ERR_TACACS_CONNECT', message: 'cannot connect to h:300: closed during connect' });
  });
});
