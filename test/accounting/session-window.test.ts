import { describe, expect, it } from 'vitest';
import { INITIAL_WINDOW, SessionWindow } from '../../src/accounting/session-window.js';

const TIMEOUT = 8000; // fast: ≤ 1000 ms, slow: > 2000 ms

describe('SessionWindow (sessions in flight on one single-connection connection)', () => {
  it('starts at the initial window and grows by one per fast reply, up to its bound', () => {
    const window = new SessionWindow(100, TIMEOUT);
    expect(window.size).toBe(INITIAL_WINDOW);
    for (let i = 0; i < 10; i++) window.replied(0, 5);
    expect(window.size).toBe(INITIAL_WINDOW + 10);
    for (let i = 0; i < 100; i++) window.replied(0, 5);
    expect(window.size).toBe(100);
  });

  it('never starts above a bound smaller than the initial window', () => {
    expect(new SessionWindow(8, TIMEOUT).size).toBe(8);
  });

  it('halves on a slow reply, once per round trip: replies to requests sent before the cut do not cut again', () => {
    const window = new SessionWindow(1024, TIMEOUT);
    window.replied(100, 2200); // sent at 100 ms, 2.1 s round trip: slow
    expect(window.size).toBe(INITIAL_WINDOW / 2);
    window.replied(150, 2300); // sent before the cut at 2200: queued behind the old window
    expect(window.size).toBe(INITIAL_WINDOW / 2);
    window.replied(2300, 4400); // sent after the cut and still slow
    expect(window.size).toBe(INITIAL_WINDOW / 4);
  });

  it('holds between fast and slow, and never drops below one', () => {
    const window = new SessionWindow(1024, TIMEOUT, 2);
    window.replied(0, 1500);
    expect(window.size).toBe(2);
    for (let t = 0; t < 10; t++) window.replied(t * 10_000, t * 10_000 + 3000);
    expect(window.size).toBe(1);
  });
});
