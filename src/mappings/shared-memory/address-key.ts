/**
 * The table's key: a host address as four 32-bit words (its 16 bytes, big-endian), IPv4
 * as its IPv4-mapped IPv6 form ::ffff:a.b.c.d (RFC 4291 §2.5.5.2), which normaliseAddress
 * writes as the dotted quad, so one host is one key whichever way it was written.
 *
 * Parsing takes text as normaliseAddress gives it (identify/address.ts) and needs no
 * allocation; anything else it cannot read is "no key" (a reader asked for garbage finds
 * nothing, it does not throw). Writing the text back, IPv4 is built here and IPv6 is
 * handed to normaliseAddress in its full eight-group form, so RFC 5952 is written in one
 * place only.
 */
import { normaliseAddress } from '../../identify/address.js';

/** Parses canonical address text into `out[at..at+3]`; false when it is not one. */
export function parseAddressKey(ip: string, out: Int32Array, at = 0): boolean {
  return ip.indexOf(':') === -1 ? parseV4(ip, out, at) : parseV6(ip, out, at);
}

function parseV4(ip: string, out: Int32Array, at: number): boolean {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return false;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      octet = octet * 10 + (c - 48);
      if (octet > 255) return false;
      digits++;
    } else {
      return false;
    }
  }
  if (dots !== 3 || digits === 0) return false;
  out[at] = 0;
  out[at + 1] = 0;
  out[at + 2] = 0xffff;
  out[at + 3] = (value * 256 + octet) | 0;
  return true;
}

/** Groups before "::" fill from the left, those after it from the right. */
const groups = new Uint16Array(8);

function parseV6(ip: string, out: Int32Array, at: number): boolean {
  groups.fill(0);
  const gap = ip.indexOf('::');
  let count: number;
  if (gap === -1) {
    count = parseGroups(ip, 0, ip.length, 0);
    if (count !== 8) return false;
  } else {
    const left = gap === 0 ? 0 : parseGroups(ip, 0, gap, 0);
    if (left < 0) return false;
    const tail = ip.length - (gap + 2);
    let right = 0;
    if (tail > 0) {
      right = countGroups(ip, gap + 2);
      if (left + right > 7) return false;
      if (parseGroups(ip, gap + 2, ip.length, 8 - right) !== right) return false;
    }
    if (left + right > 7) return false;
  }
  for (let w = 0; w < 4; w++) out[at + w] = (groups[2 * w]! << 16) | groups[2 * w + 1]!;
  return true;
}

function countGroups(ip: string, from: number): number {
  let n = 1;
  for (let i = from; i < ip.length; i++) if (ip.charCodeAt(i) === 58) n++;
  return n;
}

/** Parses colon-separated hex groups of ip[from, to) into groups[first..]; their count, or -1. */
function parseGroups(ip: string, from: number, to: number, first: number): number {
  let n = 0;
  let value = 0;
  let digits = 0;
  for (let i = from; i <= to; i++) {
    const c = i === to ? 58 : ip.charCodeAt(i);
    if (c === 58) {
      if (digits === 0 || first + n > 7) return -1;
      groups[first + n++] = value;
      value = 0;
      digits = 0;
      continue;
    }
    const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (digit < 0 || ++digits > 4) return -1;
    value = value * 16 + digit;
  }
  return n;
}

/** The canonical text of a key (as normaliseAddress writes it). */
export function formatAddressKey(w0: number, w1: number, w2: number, w3: number): string {
  if (w0 === 0 && w1 === 0 && w2 === 0xffff) return `${w3 >>> 24}.${(w3 >>> 16) & 255}.${(w3 >>> 8) & 255}.${w3 & 255}`;
  const hex = (w: number) => `${(w >>> 16).toString(16)}:${(w & 0xffff).toString(16)}`;
  return normaliseAddress(`${hex(w0)}:${hex(w1)}:${hex(w2)}:${hex(w3)}`) ?? '::';
}

/**
 * Whether a key is a usable host address, as normaliseAddress decides for its text
 * (not unspecified, broadcast or multicast), without making the text.
 */
export function usableAddressKey(w0: number, w1: number, w2: number, w3: number): boolean {
  if (w0 === 0 && w1 === 0 && w2 === 0xffff) {
    const first = w3 >>> 24;
    return w3 !== 0 && w3 !== -1 && (first < 224 || first > 239);
  }
  if (w0 === 0 && w1 === 0 && w2 === 0 && w3 === 0) return false; // :: (RFC 4291 §2.5.2)
  return w0 >>> 24 !== 0xff; // ff00::/8 multicast (RFC 4291 §2.7)
}

/** A 32-bit hash of a key (murmur3's finaliser over each word); its top bits pick the bucket. */
export function keyHash(w0: number, w1: number, w2: number, w3: number): number {
  let h = 0x9747b28c;
  h = mix(h ^ w0);
  h = mix(h ^ w1);
  h = mix(h ^ w2);
  h = mix(h ^ w3);
  return h >>> 0;
}

/** keyHash of the key stored at words[at..at+3] (the writer's own read: plain). */
export function keyHashAt(words: Int32Array, at: number): number {
  return keyHash(words[at]!, words[at + 1]!, words[at + 2]!, words[at + 3]!);
}

function mix(x: number): number {
  let h = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}
