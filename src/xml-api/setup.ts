/** What src/app.ts needs to serve the XML API: whether it is on, and its options built from config. */
import { packageVersion } from '../config/default-config.js';
import type { Config } from '../config/schema.js';
import type { XmlApiOptions } from './routes.js';
import { KeyRing, loadKeySecret } from './keys.js';
import { newXmlApiStats } from './stats.js';

/** On when users are configured, unless `enabled: false`; `enabled: true` serves it for http.tokens alone. */
export function xmlApiEnabled(config: Pick<Config, 'xmlApi'>): boolean {
  return config.xmlApi.enabled ?? config.xmlApi.users.length > 0;
}

/** The options of the /api/ routes, or undefined when the XML API is off. Makes the key secret on first start. */
export async function xmlApiOptions(config: Config, apply: XmlApiOptions['apply']): Promise<XmlApiOptions | undefined> {
  if (!xmlApiEnabled(config)) return undefined;
  const secret = await loadKeySecret(config.xmlApi.keySecretFile);
  return {
    keys: new KeyRing(secret, config.xmlApi.users, config.http.tokens),
    maxBodyBytes: config.xmlApi.maxBodyBytes,
    apply,
    identity: { version: packageVersion(), startedAt: Date.now() },
    stats: newXmlApiStats(),
  };
}
