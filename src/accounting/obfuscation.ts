/**
 * RFC 8907 §4.5 body obfuscation. The body is XORed with a pseudo-pad made of chained MD5
 * hashes:
 *
 *   MD5_1 = MD5{session_id, key, version, seq_no}
 *   MD5_n = MD5{session_id, key, version, seq_no, MD5_n-1}
 *   pseudo_pad = {MD5_1 [,MD5_2 [ ... ,MD5_n]]} truncated to len(data)
 *
 * session_id, version and seq_no are taken from the packet's own cleartext header, so the
 * one function both obfuscates a request and de-obfuscates a reply. RFC 9887 §4 forbids
 * obfuscation over TLS: callers skip this and set TAC_PLUS_UNENCRYPTED_FLAG instead.
 */
import { md5Into } from './md5.js';

const HEADER_LENGTH = 12;
const MD5_LENGTH = 16;

/** {session_id, key, version, seq_no, previous MD5}, reused by every call; grows for longer keys. */
let input = Buffer.alloc(64);

/**
 * XORs the body of `packet` (a 12-octet header followed by the body) in place with the
 * pseudo-pad for `key`. Applying it twice gives back the original bytes.
 */
export function applyPseudoPad(packet: Buffer, key: Buffer): void {
  const bodyEnd = packet.length;
  if (bodyEnd <= HEADER_LENGTH) return;
  const prefixLength = 4 + key.length + 2;
  if (input.length < prefixLength + MD5_LENGTH) input = Buffer.alloc(prefixLength + MD5_LENGTH);
  packet.copy(input, 0, 4, 8); // session_id, network order as on the wire
  key.copy(input, 4);
  input[4 + key.length] = packet[0]!; // version
  input[5 + key.length] = packet[2]!; // seq_no

  // MD5_1 over the prefix; each next MD5 over the prefix and the previous MD5, which
  // md5Into writes right behind the prefix, where the next round reads it.
  md5Into(input, prefixLength, input, prefixLength);
  let offset = HEADER_LENGTH;
  for (;;) {
    const end = Math.min(offset + MD5_LENGTH, bodyEnd);
    for (let i = offset, j = prefixLength; i < end; i++, j++) packet[i] = packet[i]! ^ input[j]!;
    offset = end;
    if (offset >= bodyEnd) return;
    md5Into(input, prefixLength + MD5_LENGTH, input, prefixLength);
  }
}
