/**
 * `uid-listener start` as a process: logger, App, signals and hot reload.
 * SIGTERM / SIGINT stop gracefully (exit 0); SIGHUP, or a change in `profilesDir`, reloads
 * profiles, senders and mapping filters; a broken edit is refused and the running config
 * stays (its errors are logged as file:line:col).
 */
import { watch, type FSWatcher } from 'node:fs';
import { App } from './app.js';
import { loadConfig } from './config/load.js';
import { ConfigError, formatIssue, UidError } from './errors.js';
import { createLogger, type Logger } from './observability/logger.js';

/** Editors write a file in several steps; reload once they are done. */
const RELOAD_DEBOUNCE_MS = 300;

export async function runListener(configFile: string | undefined): Promise<number> {
  const loaded = await loadConfig(configFile);
  const log = createLogger(loaded.config.log.level);
  for (const warning of loaded.warnings) log.warn({ code: warning.code, file: warning.file, line: warning.line }, warning.message);
  const app = new App(loaded, log);
  try {
    await app.start();
  } catch (error) {
    await app.stop().catch(() => undefined);
    if (error instanceof UidError) {
      process.stderr.write(`uid-listener: ${error.message}\n`);
      return 1;
    }
    throw error;
  }

  let reloading: Promise<void> = Promise.resolve();
  const reload = (why: string) => {
    reloading = reloading.then(() => reloadFrom(app, configFile, why, log));
  };
  const watcher = watchProfiles(app.config.profilesDir, () => reload('profilesDir changed'), log);
  process.on('SIGHUP', () => reload('SIGHUP'));

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  log.info({ signal }, 'stopping');
  watcher?.close();
  await reloading;
  await app.stop();
  return 0;
}

async function reloadFrom(app: App, configFile: string | undefined, why: string, log: Logger): Promise<void> {
  try {
    app.reload(await loadConfig(configFile));
    log.info({ reason: why }, 'reload applied');
  } catch (error) {
    if (!(error instanceof ConfigError)) {
      log.error({ reason: why, error: (error as Error).message }, 'reload failed; the running configuration stays');
      return;
    }
    for (const issue of error.issues) log.error({ reason: why, code: issue.code }, formatIssue(issue));
    log.error({ reason: why, issues: error.issues.length }, 'reload refused: the running configuration stays');
  }
}

function watchProfiles(dir: string, onChange: () => void, log: Logger): FSWatcher | undefined {
  let timer: NodeJS.Timeout | undefined;
  try {
    const watcher = watch(dir, { persistent: false }, () => {
      clearTimeout(timer);
      timer = setTimeout(onChange, RELOAD_DEBOUNCE_MS);
    });
    watcher.on('error', (error) => log.warn({ dir, error: error.message }, 'cannot watch profilesDir; SIGHUP still reloads'));
    return watcher;
  } catch (error) {
    log.warn({ dir, error: (error as Error).message }, 'cannot watch profilesDir; SIGHUP still reloads');
    return undefined;
  }
}
