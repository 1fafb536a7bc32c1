/** The numbered ring behind Last-Event-ID: ids, what is still held after wrapping, shared frames. */
import { describe, expect, it } from 'vitest';
import { EventRing } from '../../src/http/event-ring.js';
import { mapping } from './table-double.js';

const added = (i: number) => ({ kind: 'added', mapping: mapping(`10.0.0.${i}`, `u${i}`) }) as const;

describe('EventRing', () => {
  it('numbers changes from 1 and reads its own ids back, including 0 ("before the first")', () => {
    const ring = new EventRing(8);
    expect(ring.head).toBe(0);
    expect(ring.parseId(ring.idOf(0))).toBe(0);
    for (let i = 1; i <= 3; i++) ring.push(added(i));
    expect(ring.head).toBe(3);
    expect(ring.oldest).toBe(1);
    expect(ring.parseId(ring.idOf(2))).toBe(2);
  });

  it('does not accept ids of another ring, from the future, or malformed', () => {
    const ring = new EventRing(8);
    const other = new EventRing(8);
    ring.push(added(1));
    other.push(added(1));
    expect(ring.parseId(other.idOf(1))).toBeUndefined();
    expect(ring.parseId(ring.idOf(2))).toBeUndefined();
    for (const id of ['', '-', '1', `${ring.idOf(1)}x`, ring.idOf(1).replace(/-1$/, '-1e3'), ring.idOf(1).replace(/-1$/, '-')]) {
      expect(ring.parseId(id), id).toBeUndefined();
    }
  });

  it('holds only the last `capacity` changes once it wraps', () => {
    const ring = new EventRing(4);
    for (let i = 1; i <= 10; i++) ring.push(added(i));
    expect(ring.head).toBe(10);
    expect(ring.oldest).toBe(7);
    expect(ring.frame(7)).toContain('"ip":"10.0.0.7"');
    expect(ring.frame(10)).toContain('"ip":"10.0.0.10"');
    expect(ring.parseId(ring.idOf(3))).toBe(3); // recognised as ours, but older than `oldest`
  });

  it('builds each frame once, as an SSE event with id, event name and one data line', () => {
    const ring = new EventRing(4);
    ring.push(added(1));
    const frame = ring.frame(1);
    expect(ring.frame(1)).toBe(frame);
    const lines = frame.split('\n');
    expect(lines[0]).toBe(`id: ${ring.idOf(1)}`);
    expect(lines[1]).toBe('event: added');
    expect(JSON.parse(lines[2]!.slice('data: '.length))).toMatchObject({ kind: 'added', reason: 'login', mapping: { ip: '10.0.0.1' } });
    expect(lines.slice(3)).toEqual(['', '']);
  });

  it('keeps a user name with line breaks inside one data line', () => {
    const ring = new EventRing(2);
    ring.push({ kind: 'added', mapping: mapping('10.0.0.1', 'evil\r\nevent: forged\n\nid: 99') });
    const frame = ring.frame(1);
    expect(frame.split('\n\n')).toHaveLength(2);
    expect(frame).not.toContain('\nevent: forged');
  });
});
