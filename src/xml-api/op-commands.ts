/**
 * `type=op` and `type=version`: the operational commands PAN-OS clients use against a
 * User-ID source, answered in PAN-OS's shapes.
 *
 * - `<show><user><ip-user-mapping>` with `<all/>`, `<ip>A</ip>` or `<user>U</user>`, and
 *   the `type` filter (`<all><type>XMLAPI</type></all>` or `<type>` beside it): one
 *   `<entry>` per mapping with `ip`, `vsys` (vsys1), `type` (XMLAPI for pushes through this
 *   API, SYSLOG for the rest), `user` as pushed, `idle_timeout` and `timeout` (whole
 *   seconds left; `Never` for a mapping that lasts until logout), and `<count>` with `all`.
 *   An unmapped address or user is success with no entry.
 * - `<show><system><info>` and `type=version`: a single-vsys firewall (not Panorama), with
 *   a PAN-OS-style `sw-version` the client libraries accept (they branch on it) and our
 *   own name and version in `model`, `family`, `devicename` and `uid-listener-version`.
 */
import { hostname } from 'node:os';
import { normaliseAddress } from '../identify/address.js';
import type { Mapping, MappingTable } from '../mappings/table.js';
import { failure, success, type XmlAnswer, type XmlNode } from './answers.js';
import { childNames, childOf } from './parse-xml.js';

/** The PAN-OS release whose XML API this one follows. */
export const PAN_OS_VERSION = '10.2.0';
/** Profile of every mapping pushed through the XML API; its type is XMLAPI. */
export const XML_API_PROFILE = 'xml-api';
/** Entries listed by one `show user ip-user-mapping all` at most; `<count>` still counts all. */
export const MAX_LISTED_MAPPINGS = 100_000;
/** PAN-OS's User-ID source types (`show user ip-user-mapping all type …`); we make XMLAPI and SYSLOG. */
const PAN_OS_TYPES = ['AD', 'CP', 'EDIR', 'GP', 'GP-CLIENTLESS', 'SSO', 'SYSLOG', 'UIA', 'UNKNOWN', 'XMLAPI'];

export interface SystemIdentity {
  /** Our package version. */
  readonly version: string;
  readonly startedAt: number;
}

export async function runOp(root: string, body: unknown, table: MappingTable, identity: SystemIdentity, now: number): Promise<XmlAnswer> {
  const user = root === 'show' ? childOf(body, 'user') : undefined;
  const mapping = childOf(user, 'ip-user-mapping');
  if (mapping !== undefined) return showIpUserMapping(mapping, table, now);
  if (root === 'show' && childOf(childOf(body, 'system'), 'info') !== undefined) return success({ system: systemInfo(identity, now) });
  const shown = [root, ...childNames(body).slice(0, 1)].join(' ');
  return failure('UID_ERR_XML_API_UNSUPPORTED',
    `${shown} is not a command uid-listener answers (it answers show user ip-user-mapping and show system info)`);
}

/** `type=version`: what PAN-OS answers (sw-version, multi-vsys, model, serial). */
export function versionAnswer(identity: SystemIdentity): XmlAnswer {
  const { 'sw-version': sw, 'multi-vsys': vsys, model, serial } = systemInfo(identity, Date.now());
  return success({ 'sw-version': sw, 'multi-vsys': vsys, model, serial });
}

async function showIpUserMapping(args: unknown, table: MappingTable, now: number): Promise<XmlAnswer> {
  const all = childOf(args, 'all');
  const typeText = childOf(all, 'type') ?? childOf(args, 'type');
  const type = typeof typeText === 'string' ? typeText.toUpperCase() : undefined;
  if (typeText !== undefined && (type === undefined || !PAN_OS_TYPES.includes(type))) {
    return failure('UID_ERR_XML_API_UNSUPPORTED', `type ${String(typeText)} is not one of ${PAN_OS_TYPES.join(', ')}`);
  }
  const keep = (m: Mapping) => type === undefined || typeOf(m) === type;
  const ip = childOf(args, 'ip');
  if (typeof ip === 'string') {
    const canonical = normaliseAddress(ip);
    if (canonical === null) return failure('UID_ERR_XML_API_REQUEST', `"${ip}" is not an IPv4 or IPv6 host address`);
    const found = await table.get(canonical);
    return success(found !== undefined && keep(found) ? { entry: [entryOf(found, now)] } : '');
  }
  const user = childOf(args, 'user');
  if (typeof user === 'string' && user !== '') {
    const found = (await table.byUser(user)).filter(keep);
    return success(found.length > 0 ? { entry: found.map((m) => entryOf(m, now)) } : '');
  }
  if (all === undefined) {
    return failure('UID_ERR_XML_API_UNSUPPORTED', 'show user ip-user-mapping needs <all/>, <ip>A</ip> or <user>U</user>');
  }
  const entries: XmlNode[] = [];
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await table.page(cursor, 10_000);
    for (const m of page.items) {
      if (!keep(m)) continue;
      count++;
      if (entries.length < MAX_LISTED_MAPPINGS) entries.push(entryOf(m, now));
    }
    cursor = page.next;
  } while (cursor !== undefined);
  return success(entries.length > 0 ? { entry: entries, count } : { count });
}

function typeOf(m: Mapping): 'XMLAPI' | 'SYSLOG' {
  return m.profile === XML_API_PROFILE ? 'XMLAPI' : 'SYSLOG';
}

function entryOf(m: Mapping, now: number): XmlNode {
  const left = m.timeoutMs === 0 ? 'Never' : Math.max(0, Math.floor((m.expiresAt - now) / 1000));
  return { ip: m.ip, vsys: 'vsys1', type: typeOf(m), user: m.user, idle_timeout: left, timeout: left };
}

function systemInfo(identity: SystemIdentity, now: number) {
  const up = Math.max(0, Math.floor((now - identity.startedAt) / 1000));
  const clock = `${Math.floor(up / 3600) % 24}:${String(Math.floor(up / 60) % 60).padStart(2, '0')}:${String(up % 60).padStart(2, '0')}`;
  return {
    hostname: hostname(),
    devicename: 'uid-listener',
    time: new Date(now).toUTCString(),
    uptime: `${Math.floor(up / 86_400)} days, ${clock}`,
    family: 'uid-listener',
    model: 'uid-listener',
    serial: 'unknown',
    'sw-version': PAN_OS_VERSION,
    'multi-vsys': 'off',
    'operational-mode': 'normal',
    'uid-listener-version': identity.version,
  };
}
