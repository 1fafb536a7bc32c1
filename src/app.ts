/**
 * Builds the pipeline (docs/guarantees.md, README.md) from a loaded config and runs it:
 * sources → senders → profiles → normalise → table → sinks (accounting, HTTP, metrics).
 * Start order makes state ready before traffic arrives (snapshot restored, spools open,
 * API up, then listeners); stop runs in reverse so nothing in flight is lost.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { Accountant } from './accounting/accountant.js';
import { ServerGroup } from './accounting/server-group.js';
import { AuditHistory } from './audit/history.js';
import { AuditTrail } from './audit/trail.js';
import { DEFAULT_CONFIG_NAME, PACKAGE_ROOT } from './config/default-config.js';
import type { LoadedConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { tickingClock } from './identify/clock.js';
import type { IdentityEvent } from './identify/event.js';
import { addNormaliseStats, newNormaliseStats } from './identify/normalise.js';
import { IdentifyPipeline } from './identify/pipeline.js';
import { addSenderStats, createSenderStats, senderActivity, type SenderActivity } from './identify/sender-stats.js';
import { addIdentifyStats, createStats, type IdentifyStats } from './identify/stats.js';
import { unmatchedSampling } from './identify/unmatched-sample.js';
import { accountingHealth, quietSenders } from './http/health.js';
import { startHttpApi, type HttpApi } from './http/serve.js';
import type { HealthReport } from './http/schemas.js';
import { MemoryMappingTable } from './mappings/memory-table.js';
import { RedisMappingTable } from './mappings/redis/redis-table.js';
import { changeStreamOf, createMappingTable, outageQueuePath, startTable, storeHealth, type StoredTable } from './mappings/store.js';
import { removeForbidden } from './mappings/filter-sweep.js';
import { MappingSnapshot } from './mappings/snapshot.js';
import type { Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { createReporter, type Reporter } from './observability/report.js';
import { ensureCertificates } from './syslog/certificates.js';
import { udpKernelDropCounter } from './syslog/kernel-drops.js';
import type { MessageHandler } from './syslog/message.js';
import { SenderTable } from './syslog/senders.js';
import { SyslogSources } from './syslog/sources.js';
import { lockState, type StateLock } from './state-lock.js';
import { UdpWorkers } from './udp-workers/pool.js';
import { xmlApiOptions } from './xml-api/setup.js';
import type { WorkerSetup } from './udp-workers/protocol.js';

/** How GET /healthz sees the listeners. */
interface ListenerState {
  readonly name: string;
  state: 'listening' | 'stopped' | 'failed';
  address?: string;
  error?: string;
}

/** What a reload may swap while running; everything else needs a restart. */
interface Pipeline {
  /** Its `profiles` are the running profile set. */
  readonly identify: IdentifyPipeline;
  readonly senders: SenderTable;
}

export class App {
  readonly log: Logger;
  readonly table: StoredTable;
  readonly metrics: Metrics;
  readonly #report: Reporter;
  readonly #snapshot: MappingSnapshot | undefined;
  readonly #groups: readonly ServerGroup[];
  readonly #accountant: Accountant | undefined;
  /** One line per table change (`log.audit`), and its reader for GET /v1/mappings/{ip}/history. */
  readonly #audit: AuditTrail | undefined;
  readonly #history: AuditHistory | undefined;
  readonly #sources: SyslogSources;
  /** UDP received in worker processes (`syslog.udp.workers` > 0) instead of by #sources. */
  readonly #udpWorkers: UdpWorkers | undefined;
  readonly #listeners: ListenerState[] = [];
  #loaded: LoadedConfig;
  /** The config the process started with: what restart-only sections still run on. */
  readonly #startedConfig: Config;
  #pipeline: Pipeline;
  #http: HttpApi | undefined;
  #locks: StateLock[] = [];
  /** Whether the snapshot was read into the table (only then may stop write it). */
  #restored = false;
  /** Counters of profile sets and normalisers replaced by reloads, so metrics never go back. */
  readonly #retiredIdentify: IdentifyStats = createStats([]);
  readonly #retiredNormalise = newNormaliseStats();
  readonly #retiredSenders = createSenderStats();
  /** The seconds clock of the per-sender counters (identify/clock.ts), and when the listener was made. */
  readonly #clock = tickingClock();
  readonly #startedAt = Date.now();

  constructor(loaded: LoadedConfig, log: Logger) {
    const { config } = loaded;
    this.log = log;
    this.#loaded = loaded;
    this.#startedConfig = loaded.config;
    this.#report = createReporter(log);
    this.#pipeline = this.#buildPipeline(loaded);
    // Several listeners may share a host (and tests run several in one process): the suffix keeps names apart.
    const listenerName = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.table = createMappingTable(config.mappings, { onEvent: this.#report.table, onStoreEvent: this.#report.store, listenerName });
    // A shared table lives in Redis; the snapshot is the memory table's.
    this.#snapshot = config.mappings.snapshot.enabled && this.table instanceof MemoryMappingTable
      ? new MappingSnapshot(this.table, { ...config.mappings.snapshot, onEvent: this.#report.snapshot, startsSentTo: startsSentTo(config) })
      : undefined;

    const { audit } = config.log;
    this.#audit = audit ? new AuditTrail(this.table, { ...audit, onEvent: this.#report.audit }) : undefined;
    this.#history = audit ? new AuditHistory(audit.path, audit.keep) : undefined;

    const kernelDrops = udpKernelDropCounter();
    this.metrics = createMetrics({
      sources: () => this.#syslogSources,
      kernelDrops,
      identify: () => [this.#pipeline.identify.profiles.stats, this.#retiredIdentify, ...(this.#udpWorkers?.identifyStats() ?? [])],
      normalise: () => [this.#pipeline.identify.normalise.stats, this.#retiredNormalise, ...(this.#udpWorkers?.normaliseStats() ?? [])],
      senders: () => this.senderActivity(),
      udpWorkers: () => this.#udpWorkers,
      table: () => this.table,
      snapshot: () => this.#snapshot?.stats,
      accounting: () => this.#accountant?.groupStats() ?? [],
      audit: () => this.#audit?.stats,
      store: () => (this.table instanceof RedisMappingTable ? { ...this.table.metricsView(), pendingAccounting: this.#accountant?.streamPending() ?? [] } : undefined),
    });

    const accounting = config.accounting;
    const accounted = accounting.mode !== 'none';
    this.#groups = accounted
      ? accounting.groups.map((group) => new ServerGroup({
        name: group.name,
        servers: group.servers,
        retryIntervalSeconds: accounting.retryIntervalSeconds,
        onEvent: this.#report.serverGroup,
        onReplyLatency: this.metrics.replyLatency(group.name),
      }))
      : [];
    this.#accountant = accounted
      ? new Accountant({ config: accounting, groups: this.#groups, table: this.table, onEvent: this.#report.accounting,
        stream: changeStreamOf(this.table, config.mappings, listenerName) })
      : undefined;

    const { udp } = config.syslog;
    const workers = udp.workers ?? 0;
    this.#udpWorkers = udp.enabled && workers > 0
      ? new UdpWorkers({
        workers,
        setup: () => this.#workerSetup(udp),
        apply: (event) => this.table.apply(event),
        onEvent: this.#report.syslog,
        onPoolEvent: this.#report.udpWorkers,
        onIdentifyEvent: this.#report.identify,
      })
      : undefined;
    // With workers, UDP is theirs: the sources here take TLS and TCP only.
    this.#sources = new SyslogSources(this.#udpWorkers ? { ...config.syslog, udp: { ...udp, enabled: false } } : config.syslog, {
      senders: this.#pipeline.senders,
      handler: this.#handle,
      onEvent: this.#report.syslog,
    });
  }

  get config(): Config {
    return this.#loaded.config;
  }

  /** TLS and TCP (and UDP) received here, and UDP received by the workers when there are. */
  get #syslogSources() {
    return this.#udpWorkers ? [...this.#sources.sources, this.#udpWorkers] : this.#sources.sources;
  }

  /** One message from an admitted sender: match, normalise, apply. Synchronous for the in-memory table. */
  readonly #handle: MessageHandler = (data, sender) => {
    this.#pipeline.identify.handle(data, sender);
  };

  readonly #apply = (event: IdentityEvent): void => {
    this.table.apply(event);
  };

  /** Each configured sender's messages by outcome, identity events, last message and quiet state (metrics, /healthz). */
  senderActivity(now = Date.now()): SenderActivity[] {
    const all = [this.#pipeline.identify.senderStats, this.#retiredSenders, ...(this.#udpWorkers?.senderStats() ?? [])];
    return senderActivity(this.config.senders, all, this.#startedAt, now);
  }

  #buildPipeline({ config, profiles }: LoadedConfig): Pipeline {
    const { mappings, senders, log } = config;
    const identify = new IdentifyPipeline({
      profiles, mappings, senders, clock: this.#clock, sink: this.#apply,
      unmatched: unmatchedSampling(profiles, mappings, samplesPerMinute(log), this.#report.identify),
    });
    return { identify, senders: new SenderTable(senders) };
  }

  async start(): Promise<void> {
    const { config, source } = this.#loaded;
    if (source === DEFAULT_CONFIG_NAME && config.syslog.tls.enabled) {
      if (await ensureCertificates(dirname(config.syslog.tls.cert))) {
        this.log.info({ dir: dirname(config.syslog.tls.cert) }, 'made test certificates for the embedded default config (see certs/README.md for real ones)');
      }
    }
    await this.#lockState();
    this.#audit?.start();
    await startTable(this.table);
    if (this.#snapshot) {
      const restored = await this.#snapshot.restore();
      this.#restored = true;
      this.#accountant?.restore(restored);
    }
    await this.#accountant?.start();
    if (config.http.enabled) await this.#startHttp();
    await this.#sources.start();
    await this.#udpWorkers?.start();
    for (const s of this.#syslogSources) {
      const { address, port } = s.address();
      this.#listeners.push({ name: s.transport, state: 'listening', address: `${address}:${port}` });
    }
    this.#snapshot?.start();
    // Where each listener is bound (`udp`, `tcp`, `tls`, `http`: "host:port"), as bound, not as configured.
    const listening = Object.fromEntries(this.#listeners.map((l) => [l.name, l.address]));
    this.log.info({ config: source, profiles: this.#pipeline.identify.profiles.names.length, senders: config.senders.length,
      mappings: this.table.size, store: config.mappings.store.type, accounting: config.accounting.mode, ...listening }, 'uid-listener started');
    if (config.log.unmatchedSamples > 0 && samplesPerMinute(config.log) === 0) {
      this.log.warn({ level: config.log.level }, 'log.unmatchedSamples is set but the samples log at debug: set log.level to debug to see them');
    }
  }

  async #startHttp(): Promise<void> {
    this.#http = await startHttpApi({
      config: this.config.http,
      table: this.table,
      registry: this.metrics.registry,
      health: () => this.#health(),
      ...(this.#accountant ? { accounting: (maxSessions: number) => this.#accountant!.status(maxSessions) } : {}),
      logger: this.log,
      xmlApi: await xmlApiOptions(this.config, (event, sender) => {
        const normalised = this.#pipeline.identify.normalise(event, sender);
        return normalised && this.table.apply(normalised);
      }),
      ...(this.#history ? { history: this.#history } : {}),
      profiles: () => this.#pipeline.identify.profiles,
      senders: () => this.config.senders,
      mappings: () => this.config.mappings,
      uiDir: join(PACKAGE_ROOT, 'dist', 'ui'),
    });
    const { address, port } = this.#http.address;
    this.#listeners.push({ name: 'http', state: 'listening', address: `${address}:${port}` });
  }

  /** What a UDP worker needs: the socket as started (a reload cannot move it) and the current pipeline config. */
  #workerSetup(udp: Config['syslog']['udp']): WorkerSetup {
    const { config } = this.#loaded;
    const { profiles } = this.#pipeline.identify;
    const { ignoreUsers, includeNetworks, excludeNetworks } = config.mappings;
    return {
      udp: { host: udp.host, port: udp.port, receiveBufferBytes: udp.receiveBufferBytes },
      maxMessageBytes: config.syslog.maxMessageBytes,
      senders: config.senders,
      profiles: profiles.names.map((name) => profiles.profile(name)!.definition),
      mappings: { ignoreUsers, includeNetworks, excludeNetworks },
      // The per-minute allowance is shared out among the workers (rounded up).
      unmatchedSamples: Math.ceil(samplesPerMinute(config.log) / Math.max(1, udp.workers ?? 1)),
    };
  }

  #health(): HealthReport {
    const accounting = this.#accountant?.status(0);
    const quiet = quietSenders(this.senderActivity());
    return {
      listeners: this.#listeners.map((l) => ({ ...l })),
      mappings: this.table.size,
      ...(quiet.length > 0 ? { quietSenders: quiet } : {}),
      ...(accounting ? { accounting: accountingHealth(accounting) } : {}),
      store: storeHealth(this.table),
    };
  }

  /** One listener per snapshot and spool folder (src/state-lock.ts), taken before either is read. */
  async #lockState(): Promise<void> {
    const { mappings, accounting } = this.config;
    const wanted: [string, string][] = [];
    if (this.#snapshot) wanted.push([`${mappings.snapshot.path}.lock`, 'the snapshot folder']);
    if (this.#accountant) wanted.push([join(accounting.spool, '.lock'), 'the accounting spool']);
    if (this.table instanceof RedisMappingTable) wanted.push([join(outageQueuePath(mappings), '.lock'), 'the queue for the shared table']);
    if (this.#audit) wanted.push([`${this.#audit.path}.lock`, 'the audit trail']);
    for (const [path, what] of wanted) {
      const lock = await lockState(path, what);
      this.#locks.push(lock);
      if (lock.tookOver) this.log.warn({ path }, 'took over a lock left by a listener that is no longer running');
      if (lock.unwritable) this.log.error({ path, err: lock.unwritable }, `cannot lock ${what} (${lock.unwritable.message}): starting unlocked; fix the folder`);
    }
  }

  /** Stops accepting, finishes what is in flight, writes the snapshot, flushes accounting. */
  async stop(): Promise<void> {
    await Promise.all([this.#sources.stop(), this.#udpWorkers?.stop()]);
    for (const l of this.#listeners) l.state = 'stopped';
    // A start that failed before restoring must not overwrite the snapshot it never read.
    if (this.#restored) await this.#snapshot?.stop();
    await this.#accountant?.stop();
    await this.#audit?.stop();
    for (const group of this.#groups) group.close();
    await this.#http?.close();
    await this.table.close();
    this.#clock.stop();
    await Promise.all(this.#locks.map((lock) => lock.release()));
    this.#locks = [];
    this.log.info({ mappings: this.table.size }, 'uid-listener stopped');
  }

  /**
   * Swaps in the profiles, senders and mapping filters of a freshly loaded config without
   * dropping connections or mappings. Everything else (ports, table size, HTTP,
   * accounting) needs a restart; a reload that changes it says so.
   */
  reload(next: LoadedConfig): void {
    const pipeline = this.#buildPipeline(next);
    const previousConfig = this.#loaded.config;
    const previous = this.#pipeline;
    addIdentifyStats(this.#retiredIdentify, previous.identify.profiles.stats);
    addNormaliseStats(this.#retiredNormalise, previous.identify.normalise.stats);
    addSenderStats(this.#retiredSenders, previous.identify.senderStats);
    this.#pipeline = pipeline;
    this.#sources.setSenders(pipeline.senders);
    this.#loaded = next;
    this.#udpWorkers?.reload();
    // Against the config the process started with: a reload that reverts a change has nothing pending.
    const needRestart = restartOnlyChanges(this.#startedConfig, next.config);
    this.log.info({ profiles: pipeline.identify.profiles.names.length, senders: next.config.senders.length }, 'configuration reloaded');
    if (needRestart.length > 0) {
      this.log.warn({ sections: needRestart }, `changes to ${needRestart.join(', ')} take effect at the next restart`);
    }
    if (filtersChanged(previousConfig, next.config)) {
      const { admits } = pipeline.identify.normalise;
      void removeForbidden(this.table, (m) => admits(m.user, m.ip)).then(
        (removed) => { if (removed > 0) this.log.info({ removed }, `removed ${removed} mapping(s) the reloaded filters forbid`); },
        (error: unknown) => this.log.error({ error: (error as Error).message }, 'could not remove the mappings the reloaded filters forbid'));
    }
  }
}

/** `log.unmatchedSamples`, which logs at debug: off unless the level shows debug lines. */
function samplesPerMinute(log: Config['log']): number {
  return log.level === 'debug' || log.level === 'trace' ? log.unmatchedSamples : 0;
}

/** The accounting groups that get a START for every mapping in this run (recorded in the snapshot). */
function startsSentTo({ accounting }: Config): string[] {
  return accounting.mode === 'start-stop' ? accounting.groups.map((group) => group.name) : [];
}

/** Whether the mapping filters differ (a reload then removes what the new ones forbid). */
function filtersChanged(before: Config, after: Config): boolean {
  const filters = ({ mappings: { ignoreUsers, includeNetworks, excludeNetworks } }: Config) => JSON.stringify([ignoreUsers, includeNetworks, excludeNetworks]);
  return filters(before) !== filters(after);
}

/** The config sections a reload cannot apply in place, by name. */
function restartOnlySections(config: Config): Record<string, unknown> {
  const { syslog, http, accounting, log, xmlApi, mappings: { timeoutMinutes, maxEntries, snapshot, store } } = config;
  return { syslog, http, accounting, log, xmlApi, 'mappings.timeoutMinutes': timeoutMinutes, 'mappings.maxEntries': maxEntries, 'mappings.snapshot': snapshot,
    'mappings.store': store };
}

/** The restart-only sections that differ between two configs. */
function restartOnlyChanges(before: Config, after: Config): string[] {
  const was = restartOnlySections(before);
  const now = restartOnlySections(after);
  return Object.keys(was).filter((key) => JSON.stringify(was[key]) !== JSON.stringify(now[key]));
}
