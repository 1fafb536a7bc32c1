/**
 * The sender allow-list (PAN-OS "Server Monitoring → Syslog Sender"): which remote
 * addresses may send, over which transports. It is consulted before anything is parsed.
 *
 * Order rule: senders are tried in config order and the first whose address or network
 * contains the remote address AND whose `transports` include the transport wins; so put a
 * host before a network that contains it when they differ (profiles, domain, pins).
 *
 * A table is immutable; a reload builds a new one and hands it to the sources
 * (`setSenders`), which drops the old table's cache with it.
 */
import { UidError } from '../errors.js';
import { NetworkSet, normaliseAddress, parseNetwork } from '../identify/address.js';
import { parseFingerprint, type Fingerprint } from './fingerprint.js';
import type { Sender, Transport } from './message.js';
import type { SenderConfig } from '../config/schema.js';

interface CompiledSender {
  readonly sender: Sender;
  readonly networks: NetworkSet;
  readonly pins: readonly Fingerprint[] | undefined;
}

/** The sender admitting an address, per transport: one object per cached address. */
interface Admission {
  readonly udp: Sender | undefined;
  readonly tcp: Sender | undefined;
  readonly tls: Sender | undefined;
}

/** Enough cached addresses for every real sender; beyond it the cache starts over. */
const DEFAULT_CACHE_SIZE = 8192;

/** Problems with one sender's address or fingerprints, as sentences (for config checks). */
/** The sender of that name; names are unique without case (config checks), so at most one matches. */
export function senderNamed<T extends { readonly name: string }>(senders: readonly T[], name: string): T | undefined {
  const wanted = name.toLowerCase();
  return senders.find((s) => s.name.toLowerCase() === wanted);
}

export function senderProblems(sender: SenderConfig): string[] {
  const problems: string[] = [];
  if (!parseNetwork(sender.address)) {
    problems.push(`sender "${sender.name}": address "${sender.address}" is not an IPv4/IPv6 address or CIDR (e.g. 10.0.0.5, 10.0.0.0/24, 2001:db8::/32)`);
  }
  for (const text of sender.tlsFingerprints ?? []) {
    const pin = parseFingerprint(text);
    if (typeof pin === 'string') problems.push(`sender "${sender.name}": ${pin}`);
  }
  return problems;
}

export class SenderTable {
  readonly senders: readonly Sender[];
  private readonly compiled: readonly CompiledSender[];
  private readonly pinsBySender = new Map<Sender, readonly Fingerprint[]>();
  private readonly cache = new Map<string, Admission>();

  /** Throws UID_ERR_CONFIG_VALUE when an address or fingerprint does not parse. */
  constructor(
    senders: readonly SenderConfig[],
    private readonly cacheSize = DEFAULT_CACHE_SIZE,
  ) {
    const problems = senders.flatMap(senderProblems);
    if (problems.length > 0) throw new UidError('UID_ERR_CONFIG_VALUE', problems.join('; '));
    this.senders = senders;
    this.compiled = senders.map((sender) => {
      const pins = sender.tlsFingerprints?.map((text) => parseFingerprint(text) as Fingerprint);
      if (pins) this.pinsBySender.set(sender, pins);
      return { sender, networks: new NetworkSet([parseNetwork(sender.address)!]), pins };
    });
  }

  /** The sender that admits this remote address over this transport, or undefined. */
  lookup(address: string, transport: Transport): Sender | undefined {
    return (this.cache.get(address) ?? this.admit(address))[transport];
  }

  /** The pinned certificate fingerprints of a sender of this table, if it has any. */
  pins(sender: Sender): readonly Fingerprint[] | undefined {
    return this.pinsBySender.get(sender);
  }

  /**
   * What an operator would add to admit an unknown address over a transport: a sentence
   * and, when adding is safe, the YAML lines (for the rate-limited unknown-sender report;
   * never on a hot path).
   *
   * A hint never weakens a sender: when a sender covering the address pins certificates
   * (which only TLS checks) or allows only transports harder to spoof than this one, the hint says the
   * transport is not allowed and offers no YAML, neither a wider sender nor a new one, since
   * either would admit that address without the check the operator chose.
   */
  admissionHint(address: string, transport: Transport): { hint: string; yaml?: string } {
    const host = normaliseAddress(address) ?? address;
    const covering = this.compiled.filter((c) => this.contains(c, address));
    const guarded = covering.find((c) => c.pins) ?? covering.find((c) => weakens(c, transport));
    if (guarded) {
      const s = guarded.sender;
      return { hint: `sender "${s.name}" (${s.address}) does not allow ${transport}; the message was dropped` };
    }
    const other = covering[0];
    if (other) {
      const s = other.sender;
      const transports = [...s.transports, transport].join(', ');
      const extra = (s.profiles ? `, profiles: [${s.profiles.map(quote).join(', ')}]` : '')
        + (s.defaultDomain ? `, defaultDomain: ${quote(s.defaultDomain)}` : '');
      return {
        hint: `sender "${s.name}" (${s.address}) matches ${host} but does not allow ${transport}; add it to its transports`,
        yaml: `senders:\n  - { name: ${quote(s.name)}, address: ${quote(s.address)}, transports: [${transports}]${extra} }`,
      };
    }
    const name = `host-${host.replace(/[^A-Za-z0-9_.:-]/g, '-')}`;
    return {
      hint: `${host} is not a configured sender; to accept its messages add it to senders`,
      yaml: `senders:\n  - { name: ${quote(name)}, address: ${quote(host)}, transports: [${transport}] }`,
    };
  }

  private admit(address: string): Admission {
    const admission: Admission = {
      udp: this.first(address, 'udp'),
      tcp: this.first(address, 'tcp'),
      tls: this.first(address, 'tls'),
    };
    if (this.cache.size >= this.cacheSize) this.cache.clear();
    this.cache.set(address, admission);
    return admission;
  }

  private first(address: string, transport: Transport): Sender | undefined {
    for (const c of this.compiled) {
      if (c.sender.transports.includes(transport) && this.contains(c, address)) return c.sender;
    }
    return undefined;
  }

  private contains(c: CompiledSender, address: string): boolean {
    try {
      return c.networks.has(address);
    } catch {
      return false; // not an address BlockList understands (e.g. a zone index): admit nothing
    }
  }
}

/** How hard a transport's source address is to forge: UDP none, TCP a handshake, TLS a certificate. */
const STRENGTH: Record<Transport, number> = { udp: 0, tcp: 1, tls: 2 };

/** Whether allowing `transport` would weaken a sender: it is easier to spoof than every one it allows now. */
function weakens(c: CompiledSender, transport: Transport): boolean {
  return c.sender.transports.every((t) => STRENGTH[t] > STRENGTH[transport]);
}

function quote(text: string): string {
  return JSON.stringify(text); // a JSON string is a YAML double-quoted scalar
}
