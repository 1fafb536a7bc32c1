/**
 * An XML API under test: the real HTTP server with a real in-memory table, the real
 * normaliser and key ring, and the answers read the way PAN-OS clients read them
 * (pan.xapi parses the XML and looks at response/@status, @code, result and msg).
 */
import { randomBytes } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import type { XmlApiUserConfig } from '../../src/config/schema.js';
import { createNormaliser } from '../../src/identify/normalise.js';
import { MemoryMappingTable } from '../../src/mappings/memory-table.js';
import type { MappingChange } from '../../src/mappings/table.js';
import { KeyRing } from '../../src/xml-api/keys.js';
import { newXmlApiStats } from '../../src/xml-api/stats.js';
import { testServer, type TestServer } from '../http/harness.js';

export const USERS: XmlApiUserConfig[] = [
  { name: 'nac', password: 's3cret pass' },
  { name: 'portal', password: 'other', timeoutMinutes: 7 },
];

export interface XmlApiServer extends TestServer {
  readonly table: MemoryMappingTable;
  readonly changes: MappingChange[];
  close(): Promise<void>;
}

export async function xmlApiServer(options: { tokens?: string[]; maxBodyBytes?: number; ignoreUsers?: string[]; secret?: Buffer } = {}): Promise<XmlApiServer> {
  const table = new MemoryMappingTable({ timeoutMinutes: 45, maxEntries: 1000 });
  const changes: MappingChange[] = [];
  table.subscribe((c) => changes.push(c));
  const normalise = createNormaliser({ ignoreUsers: options.ignoreUsers ?? [], includeNetworks: [], excludeNetworks: [] });
  const tokens = options.tokens ?? [];
  const server = await testServer({
    table,
    config: { tokens },
    xmlApi: {
      keys: new KeyRing(options.secret ?? randomBytes(32), USERS, tokens),
      maxBodyBytes: options.maxBodyBytes ?? 64 * 1024,
      apply: (event, sender) => {
        const normalised = normalise(event, sender);
        return normalised && table.apply(normalised);
      },
      identity: { version: '9.9.9', startedAt: Date.now() - 90_061_000 },
      stats: newXmlApiStats(),
    },
  });
  return { ...server, table, changes, close: async () => { await server.app.close(); table.close(); } };
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false, isArray: (name) => name === 'entry' });

/** A PAN-OS answer as a client reads it. */
export interface PanAnswer {
  readonly status: string;
  readonly code: string | undefined;
  readonly result: Record<string, unknown> | string | undefined;
  /** The error text, from result/msg or msg/line. */
  readonly message: string | undefined;
}

export function readAnswer(xml: string): PanAnswer {
  const doc = parser.parse(xml) as { response?: Record<string, unknown> };
  const response = doc.response;
  if (response === undefined) throw new Error(`not a PAN-OS answer: ${xml}`);
  const result = response['result'] as Record<string, unknown> | string | undefined;
  const resultMsg = typeof result === 'object' ? result['msg'] : undefined;
  const line = (response['msg'] as { line?: unknown } | undefined)?.line;
  const message = typeof resultMsg === 'string' ? resultMsg : typeof line === 'string' ? line : undefined;
  return { status: response['@_status'] as string, code: response['@_code'] as string | undefined, result, message };
}

export function uidMessage(payload: string): string {
  return `<uid-message><version>1.0</version><type>update</type><payload>${payload}</payload></uid-message>`;
}

export const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
