/**
 * MD5 (RFC 1321) for the RFC 8907 §4.5 pseudo-pad, and for nothing else: obfuscation is
 * not a security function, MD5 is what the protocol fixes, and it is the per-record hot
 * spot of accounting. node:crypto costs about 1.4 µs per hash in object and binding
 * overhead, and a 150-octet body needs ten of them; this one works in preallocated memory
 * and writes the digest where the caller wants it. test/accounting/md5.test.ts holds it to
 * node:crypto on the RFC 1321 vectors and on random inputs.
 */

/** RFC 1321 §3.4: T[i] = floor(2^32 × |sin(i + 1)|), computed once. */
const T = Int32Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000) | 0);
/** Per-step left-rotation amounts of the four rounds. */
const S = Uint8Array.from([
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
  5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
  6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
]);
/** Which message word each step reads. */
const G = Uint8Array.from({ length: 64 }, (_, i) =>
  i < 16 ? i : i < 32 ? (5 * i + 1) % 16 : i < 48 ? (3 * i + 5) % 16 : (7 * i) % 16);

const words = new Int32Array(16);
const state = new Int32Array(4);

function compress(block: Buffer, at: number): void {
  for (let i = 0, j = at; i < 16; i++, j += 4) {
    words[i] = block[j]! | (block[j + 1]! << 8) | (block[j + 2]! << 16) | (block[j + 3]! << 24);
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let f: number;
  let s: number;
  // The four rounds of RFC 1321 §3.4, each a loop of its own so no step branches on i.
  for (let i = 0; i < 16; i++) {
    f = ((b & c) | (~b & d)) + a + T[i]! + words[G[i]!]!;
    a = d; d = c; c = b; s = S[i]!;
    b = (b + ((f << s) | (f >>> (32 - s)))) | 0;
  }
  for (let i = 16; i < 32; i++) {
    f = ((d & b) | (~d & c)) + a + T[i]! + words[G[i]!]!;
    a = d; d = c; c = b; s = S[i]!;
    b = (b + ((f << s) | (f >>> (32 - s)))) | 0;
  }
  for (let i = 32; i < 48; i++) {
    f = (b ^ c ^ d) + a + T[i]! + words[G[i]!]!;
    a = d; d = c; c = b; s = S[i]!;
    b = (b + ((f << s) | (f >>> (32 - s)))) | 0;
  }
  for (let i = 48; i < 64; i++) {
    f = (c ^ (b | ~d)) + a + T[i]! + words[G[i]!]!;
    a = d; d = c; c = b; s = S[i]!;
    b = (b + ((f << s) | (f >>> (32 - s)))) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
}

let padded = Buffer.alloc(128);

/**
 * Writes MD5(`input[0, length)`) to `out[outAt, outAt + 16)`. `input` is read only; the
 * padding is built in a scratch buffer reused across calls.
 */
export function md5Into(input: Buffer, length: number, out: Buffer, outAt: number): void {
  state[0] = 0x67452301;
  state[1] = 0xefcdab89 | 0;
  state[2] = 0x98badcfe | 0;
  state[3] = 0x10325476;
  const whole = length - (length % 64);
  for (let at = 0; at < whole; at += 64) compress(input, at);
  // RFC 1321 §3.1–3.2: 0x80, zeros to 56 mod 64, then the bit length as 64-bit little-endian.
  const rest = length - whole;
  const tail = rest < 56 ? 64 : 128;
  if (padded.length < tail) padded = Buffer.alloc(tail);
  padded.fill(0, 0, tail);
  input.copy(padded, 0, whole, length);
  padded[rest] = 0x80;
  const bits = length * 8;
  padded.writeUInt32LE(bits >>> 0, tail - 8);
  padded.writeUInt32LE(Math.floor(bits / 0x100000000), tail - 4);
  compress(padded, 0);
  if (tail === 128) compress(padded, 64);
  for (let i = 0; i < 4; i++) out.writeInt32LE(state[i]!, outAt + 4 * i);
}
