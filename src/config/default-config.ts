/**
 * The embedded default configuration: what `uid-listener start` runs without `--config`
 * (DESIGN §3), and the example admins copy (`uid-listener check --print-default`). Its
 * relative paths resolve against the package root, where profiles/ and certs/ live.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: two levels above this file both as src/config/*.ts and as dist/config/*.js. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The version in package.json (`--version`, the XML API's system info). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

/** What issues in the embedded default name as their file. */
export const DEFAULT_CONFIG_NAME = '(embedded default)';

export const DEFAULT_CONFIG_YAML = `\
# uid-listener configuration: the embedded default.
# Print it with \`uid-listener check --print-default > uid-listener.yaml\`, edit the copy,
# validate it with \`uid-listener check --config uid-listener.yaml\`, then run
# \`uid-listener start --config uid-listener.yaml\`. docs/configuration.md explains every key.
# Relative paths resolve against the folder of the file that holds them.
# Unknown keys are errors (they are usually typos).

syslog:
  # RFC 5426 syslog over UDP. Loss at the socket is silent, so the listener asks the
  # kernel for a large receive buffer (receiveBufferBytes) to absorb bursts.
  udp: { enabled: true, host: 0.0.0.0, port: 514 }
  # RFC 5425 syslog over TLS. Test certificates are made under certs/ on first start
  # when missing; point cert and key at your own CA's material in production. Set ca and
  # requireClientCert: true to accept only senders with a client certificate.
  tls:
    enabled: true
    host: 0.0.0.0
    port: 6514
    cert: certs/server.crt
    key: certs/server.key
    requireClientCert: false
  # RFC 6587 syslog over plain TCP (octet counting or newline framing). It may share
  # port 514 with UDP, but not a port with TLS or HTTP.
  tcp: { enabled: false, host: 0.0.0.0, port: 514 }
  maxMessageBytes: 65536          # longer messages are counted as oversize and dropped

# Syslog senders (PAN-OS "Syslog Senders"). A message from an address that is not listed
# here is counted and dropped before any parsing, so nobody can inject a mapping from an
# address you did not name. The default admits this machine only. A real sender:
#   - { name: esm, address: 10.0.0.5, transports: [tls, udp], profiles: [traps-esm-leef], defaultDomain: ACME }
# address is an IPv4/IPv6 address or network; profiles omitted = every loaded profile;
# defaultDomain is prepended (ACME\\user) to users given without a domain.
senders:
  - { name: loopback, address: 127.0.0.0/8, transports: [udp, tcp, tls] }
  - { name: loopback-v6, address: '::1', transports: [udp, tcp, tls] }

# Parse profiles, one YAML file each (docs/profiles.md). The shipped ones live here.
profilesDir: profiles

mappings:
  timeoutMinutes: 45              # PAN-OS User-ID default; a login refreshes the timeout
  maxEntries: 1000000             # beyond this the least recently seen mapping is evicted
  ignoreUsers: []                 # users never mapped; * is a wildcard, e.g. ['svc_*']
  includeNetworks: []             # only map addresses in these networks; empty = all
  excludeNetworks: []             # never map addresses in these networks
  # The table lives in memory; a snapshot lets a restart keep it.
  snapshot: { enabled: true, path: data/mappings.json, intervalSeconds: 30 }

# The query API (docs/http-api.md). Off loopback it needs bearer tokens: give them as
# tokens: ['\${UID_TOKEN}'] (taken from the environment) or tokensFile: /etc/uid-listener/tokens.
http:
  enabled: true
  host: 127.0.0.1
  port: 8080
  tokens: []

# RFC 8907 TACACS+ accounting of every table change (docs/accounting.md). Off by default.
# To turn it on, set mode: start-stop and add a group; every group receives every record,
# servers inside a group are tried in order (failover):
#   mode: start-stop
#   groups:
#     - name: primary
#       servers:
#         - { host: 10.0.0.9, port: 49, secret: '\${TACACS_SECRET}' }
#         - { host: 10.0.0.10, port: 49, secretFile: /etc/uid-listener/tacacs.secret }
#     - name: audit                # RFC 9887 TACACS+ over TLS: certificates, no shared secret
#       servers:
#         - { host: 10.0.0.11, port: 300, tls: { ca: certs/ca.crt, cert: certs/client.crt, key: certs/client.key } }
accounting:
  mode: none
  spool: data/accounting          # records wait here until a server acknowledges them

log:
  level: info                     # fatal, error, warn, info, debug, trace or silent
`;
