/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) for the spool's record checksums.
 * node:zlib has a native `crc32` only from Node 20.15 / 22.2; on older Node 20 releases
 * the table-driven version below computes the same values (a test checks they agree).
 */
import * as zlib from 'node:zlib';

const TABLE = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** `initial` continues a running checksum, as zlib's second argument does. */
export function tableCrc32(data: Uint8Array, initial = 0): number {
  let crc = ~initial >>> 0;
  for (let i = 0; i < data.length; i++) {
    crc = (TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)) >>> 0;
  }
  return ~crc >>> 0;
}

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

export const crc32: (data: Uint8Array, initial?: number) => number =
  typeof native === 'function' ? native : tableCrc32;
