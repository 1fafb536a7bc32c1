import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IdentityEvent } from '../../src/identify/event.js';
import { OrderedMerge } from '../../src/udp-workers/merge.js';
import { errorFields } from '../../src/errors.js';
import { FIELDS, fromWire, pack, unpack } from '../../src/udp-workers/protocol.js';

function event(ip: string, event: IdentityEvent['event'] = 'login'): IdentityEvent {
  return { event, user: `user-${ip}`, ip, profile: 'p', sender: 's' };
}

function batch(...items: [number, IdentityEvent][]): (string | number)[] {
  const out: (string | number)[] = [];
  for (const [at, e] of items) pack(out, at, e);
  return out;
}

describe('protocol', () => {
  it('packs and unpacks identity events losslessly', () => {
    const events = [event('10.0.0.1'), event('2001:db8::1', 'logout'), { ...event('10.0.0.2'), user: 'ACME\\jdoe' },
      { ...event('10.0.0.3'), timeoutMs: 600_000 }, { ...event('10.0.0.4'), timeoutMs: 0 }];
    const packed = batch(...events.map((e, i): [number, IdentityEvent] => [1000 + i, e]));
    expect(packed).toHaveLength(events.length * FIELDS);
    expect(JSON.parse(JSON.stringify(packed))).toEqual(packed);
    expect(events.map((_, i) => unpack(packed, i * FIELDS))).toEqual(events);
  });

  it('carries an error as its message and code', () => {
    const error = Object.assign(new Error('bind failed'), { code: 'EADDRINUSE' });
    const back = fromWire(JSON.parse(JSON.stringify(errorFields(error))));
    expect(back).toBeInstanceOf(Error);
    expect(back).toMatchObject({ message: 'bind failed', code: 'EADDRINUSE' });
    expect(errorFields('plain')).toEqual({ message: 'plain' });
  });
});

describe('OrderedMerge', () => {
  function merge() {
    const applied: string[] = [];
    const m = new OrderedMerge((e) => applied.push(e.ip));
    return { m, applied };
  }

  it('applies the workers\' events in receive order, each once every open worker has passed its time', () => {
    const { m, applied } = merge();
    m.open(1, 0);
    m.open(2, 0);
    m.push(1, 30, batch([10, event('a')], [30, event('c')]));
    expect(applied).toEqual([]); // worker 2 might still send something from before 10
    m.push(2, 25, batch([20, event('b')]));
    expect(applied).toEqual(['a', 'b']); // c (30) waits until worker 2 is past 30
    expect(m.pending).toBe(1);
    m.push(2, 40, []);
    expect(applied).toEqual(['a', 'b', 'c']);
  });

  it('holds nobody back for a worker that exited, and still applies what it sent, in order', () => {
    const { m, applied } = merge();
    m.open(1, 0);
    m.open(2, 0);
    m.push(1, 50, batch([40, event('late')]));
    m.push(2, 10, batch([5, event('early')]));
    expect(applied).toEqual(['early']);
    m.close(2);
    expect(applied).toEqual(['early', 'late']);
  });

  it('does not let a new worker hold back events from before it started', () => {
    const { m, applied } = merge();
    m.open(1, 0);
    m.push(1, 100, batch([90, event('a')]));
    expect(applied).toEqual(['a']);
    m.open(2, 200);
    m.push(1, 300, batch([150, event('b')], [250, event('c')]));
    expect(applied).toEqual(['a', 'b']);
  });

  it('flush applies everything held, in order', () => {
    const { m, applied } = merge();
    m.open(1, 0);
    m.open(2, 0);
    m.push(1, 5, batch([3, event('b')]));
    m.push(1, 9, batch([8, event('d')]));
    m.push(2, 1, batch([1, event('a')]));
    expect(applied).toEqual(['a']);
    m.flush();
    expect(applied).toEqual(['a', 'b', 'd']);
    expect(m.pending).toBe(0);
  });

  // Any interleaving of the workers' batches gives the global receive order, and an event
  // is never applied while a worker that is still sending could send an earlier one.
  it('equals a sort by receive time whatever the interleaving (property)', () => {
    const gaps = fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 6 });
    const worker = fc.array(gaps, { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(fc.array(worker, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 200 }), (workers, picks) => {
        // Worker w's batches: increasing times ending in digit w (distinct across workers), then upTo.
        const streams = workers.map((batches, w) => {
          let time = 0;
          return batches.map((steps) => {
            const times = steps.map((step) => {
              time += step;
              return time * 10 + w;
            });
            time += 1;
            return { upTo: time * 10 + w, times };
          });
        });
        const next = streams.map(() => 0);
        const promised = streams.map(() => 0);
        const applied: number[] = [];
        const m = new OrderedMerge((e) => {
          const at = Number(e.ip);
          streams.forEach((stream, w) => {
            if (next[w]! < stream.length) expect(at, `worker ${w} may still send earlier`).toBeLessThanOrEqual(promised[w]!);
          });
          applied.push(at);
        });
        streams.forEach((_, w) => m.open(w, 0));
        for (let p = 0; next.some((n, w) => n < streams[w]!.length); p++) {
          const sending = streams.map((_, w) => w).filter((w) => next[w]! < streams[w]!.length);
          const w = sending[(picks[p] ?? 0) % sending.length]!;
          const { upTo, times } = streams[w]![next[w]!]!;
          next[w]!++;
          promised[w] = upTo;
          m.push(w, upTo, batch(...times.map((at): [number, IdentityEvent] => [at, event(String(at))])));
        }
        m.flush();
        const all = streams.flat().flatMap((b) => b.times);
        expect(applied).toEqual([...all].sort((a, b) => a - b));
      }),
      { numRuns: 300 },
    );
  });
});
