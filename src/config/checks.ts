/**
 * Checks the schema cannot express: addresses and certificate fingerprints that parse, names that are unique and refer
 * to something, one way to authenticate each TACACS+ server, an HTTP API that is not open
 * to the network by accident, and TCP listeners that do not collide. Each issue sits at
 * the line it is about. Runs on partly valid configs too (see loose.ts).
 */
import { isIPv6 } from 'node:net';
import type { ConfigIssue } from '../errors.js';
import { isLoopbackHost, parseNetwork } from '../identify/address.js';
import { parseFingerprint } from '../syslog/fingerprint.js';
import { child, records, strings, text } from './loose.js';
import { closestName } from './suggest.js';
import { formatPath, type YamlPath, type YamlSource } from './yaml-source.js';

/** `profileNames` is undefined when no profile directory was read (profilesDir itself is invalid). */
export function checkConfig(source: YamlSource, root: unknown, profileNames: readonly string[] | undefined): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  checkSenders(source, root, profileNames, issues);
  for (const key of ['includeNetworks', 'excludeNetworks']) {
    for (const [i, network] of strings(child(root, 'mappings', key))) {
      checkNetwork(source, ['mappings', key, i], network, issues);
    }
  }
  for (const [i, network] of strings(child(root, 'http', 'trustedProxies'))) {
    checkNetwork(source, ['http', 'trustedProxies', i], network, issues);
  }
  checkAccounting(source, root, issues);
  checkStore(source, root, issues);
  checkHttpExposure(source, root, issues);
  checkTcpPorts(source, root, issues);
  checkXmlApiUsers(source, root, issues);
  return issues;
}

const XML_API_USER_AUTH = ['password', 'passwordFile', 'passwordHash'] as const;

/** Each XML API user has exactly one credential, and names are unique. */
function checkXmlApiUsers(source: YamlSource, root: unknown, issues: ConfigIssue[]): void {
  const users = records(child(root, 'xmlApi', 'users'));
  checkUnique(source, users.map(([u, user]) => [['xmlApi', 'users', u, 'name'], text(user, 'name')]), 'xmlApi user', issues);
  for (const [u, user] of users) {
    const at: YamlPath = ['xmlApi', 'users', u];
    const given = XML_API_USER_AUTH.filter((key) => user[key] !== undefined);
    if (given.length === 1) continue;
    issues.push(source.issue(given.length === 0 ? at : [...at, given[1]!], 'UID_ERR_CONFIG_VALUE', given.length === 0
      ? `${formatPath(at)} needs one of: password (may be \${ENV_NAME}), passwordFile, or passwordHash`
      : `${formatPath(at)} sets ${given.join(' and ')}; give exactly one`, given.length > 0));
  }
}

/** A shared table needs to know where Redis is, in one way. */
function checkStore(source: YamlSource, root: unknown, issues: ConfigIssue[]): void {
  const store = child(root, 'mappings', 'store');
  if (child(store, 'sentinel') !== undefined && child(store, 'cluster') !== undefined) {
    issues.push(source.issue(['mappings', 'store', 'cluster'], 'UID_ERR_CONFIG_VALUE', 'mappings.store: sentinel and cluster exclude each other; give one'));
  }
  if (text(store, 'type') !== 'redis' || text(store, 'url') !== undefined) return;
  issues.push(source.issue(['mappings', 'store', 'type'], 'UID_ERR_CONFIG_VALUE',
    'mappings.store: type redis needs url (redis://host:6379, rediss://… for TLS; with sentinel or cluster, the scheme, user and db)'));
}

function checkSenders(source: YamlSource, root: unknown, profileNames: readonly string[] | undefined, issues: ConfigIssue[]): void {
  const senders = records(child(root, 'senders'));
  checkUnique(source, senders.map(([i, s]) => [['senders', i, 'name'], text(s, 'name')]), 'sender', issues);
  const known = new Set(profileNames);
  for (const [i, sender] of senders) {
    const address = text(sender, 'address');
    if (address !== undefined) checkNetwork(source, ['senders', i, 'address'], address, issues);
    for (const [f, pin] of strings(sender['tlsFingerprints'])) {
      const parsed = parseFingerprint(pin);
      if (typeof parsed === 'string') {
        issues.push(source.issue(['senders', i, 'tlsFingerprints', f], 'UID_ERR_CONFIG_VALUE', `${formatPath(['senders', i, 'tlsFingerprints', f])}: ${parsed}`));
      }
    }
    if (profileNames === undefined) continue;
    for (const [p, name] of strings(sender['profiles'])) {
      if (known.has(name)) continue;
      const guess = closestName(name, profileNames);
      const hint = guess !== undefined ? `did you mean "${guess}"?`
        : profileNames.length > 0 ? `loaded: ${profileNames.join(', ')}` : 'no profile is loaded';
      issues.push(source.issue(['senders', i, 'profiles', p], 'UID_ERR_CONFIG_REFERENCE',
        `${formatPath(['senders', i, 'profiles', p])}: no profile is named "${name}" (${hint})`));
    }
  }
}

function checkNetwork(source: YamlSource, path: YamlPath, network: string, issues: ConfigIssue[]): void {
  if (parseNetwork(network)) return;
  issues.push(source.issue(path, 'UID_ERR_CONFIG_VALUE',
    `${formatPath(path)}: "${network}" is not an IPv4 or IPv6 address or network (write 10.0.0.5, 10.0.0.0/24 or 2001:db8::/32)`));
}

/**
 * Names compared without case: a sender name becomes the TACACS+ `port` and a group name
 * a spool folder, where "ESM" and "esm" would be confused (and collide on some file systems).
 */
function checkUnique(source: YamlSource, names: [YamlPath, string | undefined][], what: string, issues: ConfigIssue[]): void {
  const first = new Map<string, YamlPath>();
  for (const [path, name] of names) {
    if (name === undefined) continue;
    const earlier = first.get(name.toLowerCase());
    if (!earlier) {
      first.set(name.toLowerCase(), path);
      continue;
    }
    issues.push(source.issue(path, 'UID_ERR_CONFIG_REFERENCE',
      `${formatPath(path)}: ${what} name "${name}" is already used at line ${source.position(earlier).line}; names must be unique`));
  }
}

const SERVER_AUTH = ['secret', 'secretFile', 'tls'] as const;

function checkAccounting(source: YamlSource, root: unknown, issues: ConfigIssue[]): void {
  const groups = records(child(root, 'accounting', 'groups'));
  checkUnique(source, groups.map(([g, group]) => [['accounting', 'groups', g, 'name'], text(group, 'name')]), 'accounting group', issues);
  const mode = text(child(root, 'accounting'), 'mode');
  if ((mode === 'start-stop' || mode === 'stop-only') && groups.length === 0) {
    issues.push(source.issue(['accounting', 'mode'], 'UID_ERR_CONFIG_VALUE',
      `accounting.mode is ${mode} but accounting.groups is empty: add a group of TACACS+ servers or set mode: none`));
  }
  for (const [g, group] of groups) {
    for (const [s, server] of records(group['servers'])) {
      const at: YamlPath = ['accounting', 'groups', g, 'servers', s];
      const given = SERVER_AUTH.filter((key) => server[key] !== undefined);
      if (given.length === 1) continue;
      issues.push(given.length === 0
        ? source.issue(at, 'UID_ERR_CONFIG_VALUE',
          `${formatPath(at)} needs one of: secret (may be \${ENV_NAME}), secretFile, or tls (RFC 9887 TACACS+ over TLS, no shared secret)`)
        : source.issue([...at, given[1]!], 'UID_ERR_CONFIG_VALUE',
          `${formatPath(at)} sets ${given.join(' and ')}; give exactly one (with tls, RFC 9887 uses certificates instead of a shared secret)`, true));
    }
  }
}

/** Anyone who can reach the API learns who sits at every address: off loopback it needs tokens. */
function checkHttpExposure(source: YamlSource, root: unknown, issues: ConfigIssue[]): void {
  const http = child(root, 'http');
  const host = text(http, 'host');
  if (child(http, 'enabled') === false || host === undefined || isLoopbackHost(host)) return;
  const tokens = child(http, 'tokens');
  const hasTokens = (Array.isArray(tokens) && tokens.length > 0) || text(http, 'tokensFile') !== undefined;
  if (hasTokens || child(http, 'allowAnonymous') === true) return;
  issues.push(source.issue(['http', 'host'], 'UID_ERR_HTTP_INSECURE',
    `http.host ${host} is reachable from other machines but no bearer token is set: add http.tokens or http.tokensFile, ` +
    'or set http.allowAnonymous: true to answer anyone who can connect'));
}

/** The listeners that bind TCP sockets; UDP 514 may share its number with TCP 514. */
const TCP_LISTENERS: readonly (readonly string[])[] = [['syslog', 'tcp'], ['syslog', 'tls'], ['http']];

function checkTcpPorts(source: YamlSource, root: unknown, issues: ConfigIssue[]): void {
  const bound: { path: readonly string[]; host: string; port: number }[] = [];
  for (const path of TCP_LISTENERS) {
    const listener = child(root, ...path);
    const host = text(listener, 'host');
    const port = child(listener, 'port');
    if (child(listener, 'enabled') !== true || host === undefined || typeof port !== 'number') continue;
    const current = { path, host, port };
    const clash = bound.find((other) => other.port === port && hostsOverlap(other.host, host));
    bound.push(current);
    if (!clash) continue;
    // Place the issue at a port written in the file; the other may be a default.
    const written = (l: typeof current) => source.doc.hasIn([...l.path, 'port']);
    const [here, there] = written(current) || !written(clash) ? [current, clash] : [clash, current];
    const thereAt = written(there) ? `line ${source.position([...there.path, 'port']).line}` : 'by default';
    issues.push(source.issue([...here.path, 'port'], 'UID_ERR_CONFIG_PORT',
      `${formatPath(here.path)} would listen on ${here.host}:${port}, which ${formatPath(there.path)} (${thereAt}) also uses; ` +
      'give one of them another port'));
  }
}

/**
 * Whether two bind addresses conflict: the same host, or a wildcard that covers the other
 * (`::` is dual-stack in Node; `0.0.0.0` covers IPv4 and names). Two different names are
 * not compared: binding reports that at start.
 */
function hostsOverlap(a: string, b: string): boolean {
  const coversV4 = (wildcard: string, other: string) => wildcard === '0.0.0.0' && !isIPv6(other);
  return a === b || a === '::' || b === '::' || coversV4(a, b) || coversV4(b, a);
}
