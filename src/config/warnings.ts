/**
 * Configs that load and run but are probably not what the admin meant: `check` prints
 * each as one `file:line:col warning: …` line and still exits 0 (`--strict` makes them
 * errors), and `start` logs them. Run on a config that passed the schema and the checks.
 *
 * - a sender network with host bits set (`10.0.0.5/8` means 10.0.0.0/8);
 * - a sender shadowed by an earlier one: the first sender in order that contains the
 *   address and allows the transport wins (docs/syslog.md), so a later sender inside an
 *   earlier one's network gets nothing over the transports they share;
 * - `ignoreUsers` with a glob that matches every user (`*`): no mapping is ever made;
 * - an HTTP API off loopback with no token (`allowAnonymous`): anyone who can connect
 *   learns who sits at every address;
 * - a PAN-OS XML API password written in the file, or the XML API off loopback without HTTPS.
 * Run on the file as written, before secrets are resolved (`${ENV}` is not yet a password).
 */
import type { ConfigIssue } from '../errors.js';
import { isLoopbackHost, networkBase, networkCovers, parseNetwork, type Network } from '../identify/address.js';
import { child, records, strings, text } from './loose.js';
import { formatPath, type YamlSource } from './yaml-source.js';

export function configWarnings(source: YamlSource, root: unknown): ConfigIssue[] {
  const warnings: ConfigIssue[] = [];
  const warn = (path: (string | number)[], message: string) => warnings.push(source.issue(path, 'UID_ERR_CONFIG_RISKY', message));
  senderWarnings(root, warn);
  for (const [i, glob] of strings(child(root, 'mappings', 'ignoreUsers'))) {
    if (/^\*+$/.test(glob)) {
      warn(['mappings', 'ignoreUsers', i], `mappings.ignoreUsers[${i}] "${glob}" matches every user: no mapping will ever be made`);
    }
  }
  const http = child(root, 'http');
  const host = text(http, 'host');
  const tokens = child(http, 'tokens');
  const hasTokens = (Array.isArray(tokens) && tokens.length > 0) || text(http, 'tokensFile') !== undefined;
  if (child(http, 'enabled') !== false && host !== undefined && !isLoopbackHost(host) && !hasTokens) {
    warn(['http', 'host'], `http.host ${host} is reachable from other machines and no bearer token is set (allowAnonymous): ` +
      'anyone who can connect learns who is at every address; set http.tokens or http.tokensFile');
  }
  xmlApiWarnings(source, root, warnings);
  return warnings;
}

/** A PAN-OS XML API password written in the file, or the XML API served off loopback without HTTPS. */
function xmlApiWarnings(source: YamlSource, root: unknown, warnings: ConfigIssue[]): void {
  const users = records(child(root, 'xmlApi', 'users'));
  const host = text(child(root, 'http'), 'host');
  const served = child(root, 'xmlApi', 'enabled') ?? users.length > 0;
  if (served === true && child(root, 'http', 'tls') === undefined && host !== undefined && !isLoopbackHost(host)) {
    warnings.push(source.issue(['http', 'host'], 'UID_ERR_HTTP_INSECURE',
      `the PAN-OS XML API is served on ${host} without http.tls: passwords and keys would cross the network in clear text; ` +
      'set http.tls (PAN-OS clients expect HTTPS anyway)'));
  }
  for (const [u, user] of users) {
    const password = text(user, 'password');
    if (password === undefined || password.includes('${')) continue;
    warnings.push(source.issue(['xmlApi', 'users', u, 'password'], 'UID_ERR_CONFIG_SECRET',
      `${formatPath(['xmlApi', 'users', u, 'password'])} is written in the config file: use \${ENV_NAME}, passwordFile, ` +
      'or passwordHash (uid-listener hash-password) so the file can be shared'));
  }
}


interface SenderAt { readonly index: number; readonly name: string; readonly network: Network; readonly transports: readonly string[] }

const ALL_TRANSPORTS = ['udp', 'tcp', 'tls'];

function senderWarnings(root: unknown, warn: (path: (string | number)[], message: string) => void): void {
  const earlier: SenderAt[] = [];
  for (const [i, sender] of records(child(root, 'senders'))) {
    const address = text(sender, 'address');
    const network = address === undefined ? null : parseNetwork(address);
    if (!network) continue;
    const name = text(sender, 'name') ?? `#${i}`;
    const base = networkBase(network);
    if (base !== network.address) {
      warn(['senders', i, 'address'], `${formatPath(['senders', i, 'address'])} "${address}" has host bits set: it means ` +
        `${base}/${network.prefix}; write that, or ${network.address} alone for the one host`);
    }
    const given = strings(sender['transports']).map(([, t]) => t);
    const transports = given.length > 0 ? given : ALL_TRANSPORTS;
    const shadowed = transports.map((t) => [t, earlier.find((e) => e.transports.includes(t) && networkCovers(e.network, network))] as const)
      .filter((pair): pair is readonly [string, SenderAt] => pair[1] !== undefined);
    if (shadowed.length > 0) {
      const by = [...new Set(shadowed.map(([, e]) => `senders[${e.index}] "${e.name}"`))].join(' and ');
      const over = shadowed.map(([t]) => t).join(', ');
      const what = shadowed.length === transports.length ? 'is never used' : `gets nothing over ${over}`;
      warn(['senders', i, 'address'], `sender "${name}" ${what}: ${by} comes first and covers ${address} over ${over}; ` +
        'put the more specific sender first');
    }
    earlier.push({ index: i, name, network, transports });
  }
}
