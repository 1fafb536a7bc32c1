/**
 * The XML API's metrics, registered in the application's registry while the HTTP server
 * runs (as src/http/metrics.ts does for the JSON API) and read from plain counters.
 */
import { Counter, type Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { XmlApiStats } from './stats.js';

const NAMES = { requests: 'uid_xml_api_requests_total', entries: 'uid_xml_api_entries_total' } as const;

export function instrumentXmlApi(app: FastifyInstance, registry: Registry, stats: XmlApiStats): void {
  new Counter({
    name: NAMES.requests,
    help: 'PAN-OS XML API requests by type (keygen, user-id, op, version, other) and outcome (success, forbidden, bad_request, too_large, malformed, unsupported, error)',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [key, value] of stats.requests) {
        const [type, outcome] = key.split('\0') as [string, string];
        this.inc({ type, outcome }, value);
      }
    },
  });
  new Counter({
    name: NAMES.entries,
    help: 'uid-message login and logout entries accepted through the XML API (then normalised and filtered like syslog events)',
    labelNames: ['event'] as const,
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ event: 'login' }, stats.entries.login);
      this.inc({ event: 'logout' }, stats.entries.logout);
    },
  });
  app.addHook('onClose', (_instance, done) => {
    for (const name of Object.values(NAMES)) registry.removeSingleMetric(name);
    done();
  });
}
