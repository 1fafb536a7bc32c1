import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Framer, trimmedEnd } from '../../src/syslog/framing.js';

function framer(max = 1000, accept: (n: number) => boolean = () => true) {
  const out = { messages: [] as string[], buffers: [] as Buffer[], oversize: 0, malformed: 0 };
  const f = new Framer(max, {
    message: (data) => {
      out.messages.push(data.toString('latin1'));
      out.buffers.push(data);
      return accept(out.messages.length);
    },
    oversize: () => void out.oversize++,
    malformed: () => void out.malformed++,
  });
  return { f, out };
}

const bytes = (text: string) => Buffer.from(text, 'latin1');

function pushAll(f: Framer, chunks: Buffer[]): string[] {
  const results: string[] = [];
  for (const chunk of chunks) results.push(f.push(chunk));
  return results;
}

function byteByByte(text: string): Buffer[] {
  return [...bytes(text)].map((b) => Buffer.from([b]));
}

describe('LF framing (RFC 6587 §3.4.2)', () => {
  it('splits on LF, accepts CR LF, skips empty lines', () => {
    const { f, out } = framer();
    expect(f.push(bytes('<13>a\n<13>b\r\n\n\r\n<13>c\n'))).toBe('done');
    expect(f.mode).toBe('lf');
    expect(out.messages).toEqual(['<13>a', '<13>b', '<13>c']);
    expect(out.malformed).toBe(0);
  });

  it('hands out slices of the chunk, copying only a message that spans chunks', () => {
    const { f, out } = framer();
    const chunk = Buffer.alloc(6); // not from the shared pool, so its ArrayBuffer is its own
    chunk.write('one\ntw', 'latin1');
    f.push(chunk);
    f.push(bytes('o\n'));
    expect(out.messages).toEqual(['one', 'two']);
    expect(out.buffers[0]!.buffer).toBe(chunk.buffer);
    expect(out.buffers[1]!.buffer).not.toBe(chunk.buffer);
  });

  it('reassembles a message written byte by byte', () => {
    const { f, out } = framer();
    pushAll(f, byteByByte('hello world\r\nsecond\n'));
    expect(out.messages).toEqual(['hello world', 'second']);
  });

  it('counts a NUL-only frame as malformed and strips trailing NULs', () => {
    const { f, out } = framer();
    f.push(bytes('\0\0\nmsg\0\n'));
    expect(out.messages).toEqual(['msg']);
    expect(out.malformed).toBe(1);
  });

  it('discards an oversize frame up to its LF, once, and carries on', () => {
    const { f, out } = framer(480);
    const big = 'x'.repeat(700);
    pushAll(f, [bytes(big.slice(0, 300)), bytes(big.slice(300)), bytes('\nok\n')]);
    expect(out.oversize).toBe(1);
    expect(out.messages).toEqual(['ok']);
  });

  it('keeps a frame of exactly maxMessageBytes', () => {
    const { f, out } = framer(480);
    const exact = 'y'.repeat(480);
    pushAll(f, [bytes(exact.slice(0, 100)), bytes(`${exact.slice(100)}\n`)]);
    expect(out.oversize).toBe(0);
    expect(out.messages).toEqual([exact]);
  });

  it('delivers a last message without LF when the stream ends', () => {
    const { f, out } = framer();
    f.push(bytes('first\nlast'));
    f.end();
    expect(out.messages).toEqual(['first', 'last']);
  });
});

describe('octet counting (RFC 6587 §3.4.1, RFC 5425 §4.3)', () => {
  it('reads several frames from one chunk', () => {
    const { f, out } = framer();
    expect(f.push(bytes('5 hello6 world!'))).toBe('done');
    expect(f.mode).toBe('octet-counting');
    expect(out.messages).toEqual(['hello', 'world!']);
  });

  it('reads a count and a body split across chunks, byte by byte', () => {
    const { f, out } = framer();
    pushAll(f, byteByByte('11 hello world11 <13>1 - - x'));
    expect(out.messages).toEqual(['hello world', '<13>1 - - x']);
  });

  it('keeps LF inside a frame, strips a trailing one, tolerates CR/LF between frames', () => {
    const { f, out } = framer();
    f.push(bytes('4 a\nb\n\r\n7 second\n'));
    expect(out.messages).toEqual(['a\nb', 'second']);
  });

  it('fails on a count of 0', () => {
    const { f, out } = framer();
    expect(f.push(bytes('3 abc0 x'))).toBe('failed');
    expect(f.failure).toBe('count-zero');
    expect(out.messages).toEqual(['abc']);
  });

  it('fails on a 10-digit count before its space arrives', () => {
    const { f } = framer(65536);
    expect(f.push(bytes('12345'))).toBe('done');
    expect(f.push(bytes('67890'))).toBe('failed');
    expect(f.failure).toBe('count-too-large');
  });

  it('fails on a count just above the limit', () => {
    const { f } = framer(480);
    expect(f.push(bytes('481 '))).toBe('failed');
    expect(f.failure).toBe('count-too-large');
  });

  it('fails on a non-digit where a count or its space must be', () => {
    const a = framer();
    expect(a.f.push(bytes('3 abcX'))).toBe('failed');
    expect(a.f.failure).toBe('count-not-digit');
    const b = framer();
    expect(b.f.push(bytes('12x'))).toBe('failed');
    expect(b.f.failure).toBe('count-not-digit');
    expect(b.f.push(bytes('2 ok'))).toBe('failed');
  });

  it('counts an unfinished frame at end of stream as malformed', () => {
    const { f, out } = framer();
    f.push(bytes('10 short'));
    f.end();
    expect(out.messages).toEqual([]);
    expect(out.malformed).toBe(1);
  });
});

describe('back-pressure', () => {
  it('pauses after a message the sink refuses and resumes where it stopped', () => {
    const { f, out } = framer(1000, (n) => n !== 1);
    expect(f.push(bytes('a\nb\nc\n'))).toBe('paused');
    expect(f.holding).toBe(true);
    expect(out.messages).toEqual(['a']);
    expect(f.resume()).toBe('done');
    expect(f.holding).toBe(false);
    expect(out.messages).toEqual(['a', 'b', 'c']);
  });

  it('pauses at the end of a chunk without holding anything', () => {
    const { f, out } = framer(1000, () => false);
    expect(f.push(bytes('3 abc'))).toBe('paused');
    expect(f.holding).toBe(false);
    expect(f.resume()).toBe('done');
    expect(out.messages).toEqual(['abc']);
  });
});

describe('framing properties', () => {
  const message = fc.string({ minLength: 1, maxLength: 60, unit: fc.constantFrom(...'abc <>=|\t\u00e9'.split('')) })
    .filter((m) => m.trim() === m && m.length > 0);

  function chunked(data: Buffer, cuts: number[]): Buffer[] {
    const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((x, y) => x - y);
    const chunks: Buffer[] = [];
    let last = 0;
    for (const p of [...points, data.length]) {
      if (p > last) chunks.push(data.subarray(last, p));
      last = Math.max(last, p);
    }
    return chunks;
  }

  it('gives the same messages however the bytes are chunked', () => {
    fc.assert(fc.property(
      fc.array(message, { minLength: 1, maxLength: 20 }),
      fc.boolean(),
      fc.array(fc.nat(), { maxLength: 30 }),
      (messages, octet, cuts) => {
        const wire = Buffer.concat(messages.map((m) => {
          const body = Buffer.from(m, 'utf8');
          return octet ? Buffer.concat([Buffer.from(`${body.length} `), body]) : Buffer.concat([body, Buffer.from('\n')]);
        }));
        const received: string[] = [];
        const f = new Framer(1000, {
          message: (d) => { received.push(d.toString('utf8')); return true; },
          oversize: () => {},
          malformed: () => {},
        });
        for (const chunk of chunked(wire, cuts)) expect(f.push(chunk)).toBe('done');
        expect(received).toEqual(messages);
      },
    ));
  });

  it('never throws on random bytes and never hands out more than the limit', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 700 }), { maxLength: 10 }), (chunks) => {
      let longest = 0;
      const f = new Framer(480, {
        message: (d) => { longest = Math.max(longest, d.length); return true; },
        oversize: () => {},
        malformed: () => {},
      });
      for (const chunk of chunks) if (f.push(Buffer.from(chunk)) === 'failed') break;
      f.end();
      expect(longest).toBeLessThanOrEqual(480);
    }));
  });
});

describe('trimmedEnd', () => {
  it('drops trailing CR, LF and NUL only', () => {
    const b = bytes('ab \r\n\0');
    expect(trimmedEnd(b, 0, b.length)).toBe(3);
    expect(trimmedEnd(bytes('\r\n'), 0, 2)).toBe(0);
  });
});
