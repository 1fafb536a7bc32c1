import { describe, expect, it } from 'vitest';
import { OutageQueue, type Queued } from '../../../src/mappings/redis/outage-queue.js';

const items = (entries: readonly Queued<number>[]): number[] => entries.map((entry) => entry.item);

describe('OutageQueue', () => {
  it('keeps order, refuses beyond its bound and reports the first overflow and each power of ten', () => {
    const reports: number[] = [];
    const queue = new OutageQueue<number>(3, (dropped) => reports.push(dropped));
    expect([1, 2, 3, 4, 5].map((n) => queue.push(n))).toEqual([true, true, true, false, false]);
    for (let i = 0; i < 8; i++) queue.push(0);
    expect(reports).toEqual([1, 10]);
    const two = queue.take(2);
    expect(items(two)).toEqual([1, 2]);
    queue.putBack(two.slice(1));
    expect(items(queue.take(5))).toEqual([2, 3]);
    expect(queue.size).toBe(0);
    queue.outageEnded();
    queue.push(1);
    queue.push(2);
    queue.push(3);
    queue.push(4);
    expect(reports).toEqual([1, 10, 1]);
  });

  it('journals what it accepts, acks what was applied, and puts restored items first', () => {
    const appended: number[] = [];
    const acked: number[] = [];
    let seq = 0;
    const queue = new OutageQueue<number>(3, () => {}, { append: (n) => (appended.push(n), ++seq), ack: (s) => acked.push(s) });
    queue.push(7);
    queue.push(8);
    queue.restore([{ item: 5, seq: 0 }, { item: 6, seq: 0 }]);
    expect(queue.push(9)).toBe(false); // restored items count against the bound
    expect(appended).toEqual([7, 8]);
    const taken = queue.take(10);
    expect(items(taken)).toEqual([5, 6, 7, 8]);
    queue.applied(taken);
    expect(acked).toEqual([1, 2]); // restored ones here had no file place (seq 0)
  });
});
