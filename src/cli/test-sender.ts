/**
 * `uid-listener test-profile --config FILE --sender NAME`: messages run exactly as the
 * running listener would run them for that sender (issue 11 item 4): the config's profiles
 * as its `profilesDir` loads them, the sender's `profiles` and `defaultDomain`, and the
 * mapping rules (`ignoreUsers`, `includeNetworks`, `excludeNetworks`), through the same
 * pipeline as ingestion (src/identify/tester.ts).
 */
import { ConfigError } from '../errors.js';
import { loadConfig } from '../config/load.js';
import { SenderTester, type TestResult } from '../identify/tester.js';
import { senderNamed } from '../syslog/senders.js';

export type MessageTest = (message: string, line: number) => TestResult;

/** The tester for one sender of a config; a ConfigError when the config does not load or names no such sender. */
export async function senderTester(configFile: string, senderName: string): Promise<MessageTest> {
  const { config, source, profiles } = await loadConfig(configFile);
  const sender = senderNamed(config.senders, senderName);
  if (!sender) {
    const known = config.senders.map((s) => s.name).join(', ') || 'none';
    throw new ConfigError([{ code: 'UID_ERR_CONFIG_REFERENCE', file: source, line: 1, col: 1,
      message: `--sender ${JSON.stringify(senderName)}: the config has no sender of that name (senders: ${known})` }]);
  }
  const tester = new SenderTester(profiles, config.mappings, sender);
  return (message, line) => tester.test(message, line);
}
