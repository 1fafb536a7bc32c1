import { describe, expect, it } from 'vitest';
import { OutageQueue } from '../../../src/mappings/redis/outage-queue.js';

describe('OutageQueue', () => {
  it('keeps order, refuses beyond its bound and reports the first overflow and each power of ten', () => {
    const reports: number[] = [];
    const queue = new OutageQueue<number>(3, (dropped) => reports.push(dropped));
    expect([1, 2, 3, 4, 5].map((n) => queue.push(n))).toEqual([true, true, true, false, false]);
    for (let i = 0; i < 8; i++) queue.push(0);
    expect(reports).toEqual([1, 10]);
    expect(queue.take(2)).toEqual([1, 2]);
    queue.putBack([2]);
    expect(queue.take(5)).toEqual([2, 3]);
    expect(queue.size).toBe(0);
    queue.outageEnded();
    queue.push(1);
    queue.push(2);
    queue.push(3);
    queue.push(4);
    expect(reports).toEqual([1, 10, 1]);
  });
});
