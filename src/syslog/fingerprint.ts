/**
 * Certificate fingerprints for pinning a sender's TLS client certificate (RFC 5425 §4.2.1:
 * a hash of the DER certificate, written as the hash's name from the IANA "Hash Function
 * Textual Names" registry, a colon, and the hash in colon-separated upper-case hex, e.g.
 * `sha-256:5F:0B:…`).
 *
 * Accepted text (docs/syslog.md "Fingerprint pinning"): the algorithm `sha-1`, `sha-256`,
 * `sha-384` or `sha-512` in any case, with or without the hyphen (`SHA256:` as rsyslog and
 * `openssl x509 -fingerprint -sha256` write it); hex in any case, with or without colons;
 * or bare hex, whose length names the algorithm (40, 64, 96 or 128 digits).
 */
import { createHash } from 'node:crypto';

export type FingerprintAlgorithm = 'sha1' | 'sha256' | 'sha384' | 'sha512';

export interface Fingerprint {
  readonly algorithm: FingerprintAlgorithm;
  /** Upper-case hex without separators. */
  readonly hex: string;
}

const HEX_LENGTH: Record<FingerprintAlgorithm, number> = { sha1: 40, sha256: 64, sha384: 96, sha512: 128 };
const ALGORITHM_NAMES: Record<string, FingerprintAlgorithm> = {
  'sha-1': 'sha1', sha1: 'sha1',
  'sha-256': 'sha256', sha256: 'sha256',
  'sha-384': 'sha384', sha384: 'sha384',
  'sha-512': 'sha512', sha512: 'sha512',
};

/** The fingerprint a text names, or a sentence saying why it is not one. */
export function parseFingerprint(text: string): Fingerprint | string {
  const trimmed = text.trim();
  const match = /^(sha-?(?:1|256|384|512)):(.*)$/i.exec(trimmed);
  const hexText = (match ? match[2]! : trimmed).replace(/:/g, '');
  if (!/^[0-9a-fA-F]+$/.test(hexText)) return `"${text}" is not a fingerprint: expected hex digits, e.g. sha-256:5F:0B:…`;
  let algorithm: FingerprintAlgorithm | undefined;
  if (match) {
    algorithm = ALGORITHM_NAMES[match[1]!.toLowerCase()];
  } else {
    algorithm = (Object.keys(HEX_LENGTH) as FingerprintAlgorithm[]).find((a) => HEX_LENGTH[a] === hexText.length);
  }
  if (!algorithm) return `"${text}" is not a fingerprint: name the hash (sha-256:…) or give 40, 64, 96 or 128 hex digits`;
  if (hexText.length !== HEX_LENGTH[algorithm]) {
    return `"${text}" is not a ${algorithm} fingerprint: expected ${HEX_LENGTH[algorithm]} hex digits, got ${hexText.length}`;
  }
  return { algorithm, hex: hexText.toUpperCase() };
}

/** True when the DER certificate hashes to one of the pinned fingerprints. */
export function matchesFingerprint(certificateDer: Buffer, pins: readonly Fingerprint[]): boolean {
  const digests = new Map<FingerprintAlgorithm, string>();
  for (const pin of pins) {
    let digest = digests.get(pin.algorithm);
    if (digest === undefined) {
      digest = createHash(pin.algorithm).update(certificateDer).digest('hex').toUpperCase();
      digests.set(pin.algorithm, digest);
    }
    if (digest === pin.hex) return true;
  }
  return false;
}

/** RFC 5425 text of a certificate's fingerprint, for logs and docs. */
export function formatFingerprint(certificateDer: Buffer, algorithm: FingerprintAlgorithm = 'sha256'): string {
  const hex = createHash(algorithm).update(certificateDer).digest('hex').toUpperCase();
  return `${algorithm.replace('sha', 'sha-')}:${hex.match(/../g)!.join(':')}`;
}
