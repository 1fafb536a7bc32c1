/** Plain counters of the XML API, read when /metrics is scraped (xml-api/metrics.ts). */
export const REQUEST_TYPES = ['keygen', 'user-id', 'op', 'version', 'other'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];

export interface XmlApiStats {
  /** `uid_xml_api_requests_total{type,outcome}`: keyed `${type}\0${outcome}`. */
  readonly requests: Map<string, number>;
  /** `uid_xml_api_entries_total{event}`: uid-message entries applied. */
  readonly entries: { login: number; logout: number };
}

export function newXmlApiStats(): XmlApiStats {
  return { requests: new Map(), entries: { login: 0, logout: 0 } };
}

export function countRequest(stats: XmlApiStats, type: RequestType, outcome: string): void {
  const key = `${type}\0${outcome}`;
  stats.requests.set(key, (stats.requests.get(key) ?? 0) + 1);
}
