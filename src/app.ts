/**
 * Builds the pipeline of DESIGN §1 from a loaded config and runs it:
 * sources → senders → profiles → normalise → table → sinks (accounting, HTTP, metrics).
 * Start order makes state ready before traffic arrives (snapshot restored, spools open,
 * API up, then listeners); stop runs in reverse so nothing in flight is lost.
 */
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Accountant } from './accounting/accountant.js';
import { ServerGroup } from './accounting/server-group.js';
import { AuditHistory } from './audit/history.js';
import { AuditTrail } from './audit/trail.js';
import { DEFAULT_CONFIG_NAME, PACKAGE_ROOT } from './config/default-config.js';
import type { LoadedConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import type { IdentityEvent } from './identify/event.js';
import { addNormaliseStats, createNormaliser, newNormaliseStats, type Normaliser } from './identify/normalise.js';
import type { ProfileSet } from './identify/profile-set.js';
import { addIdentifyStats, createStats, type IdentifyStats } from './identify/stats.js';
import { accountingHealth } from './http/health.js';
import { buildHttpServer, listenHttpServer } from './http/server.js';
import type { HealthReport } from './http/schemas.js';
import { MemoryMappingTable } from './mappings/memory-table.js';
import { MappingSnapshot } from './mappings/snapshot.js';
import type { Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { createReporter, type Reporter } from './observability/report.js';
import { ensureCertificates } from './syslog/certificates.js';
import { udpKernelDropCounter } from './syslog/kernel-drops.js';
import type { MessageHandler, Sender } from './syslog/message.js';
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
  readonly profiles: ProfileSet;
  readonly normalise: Normaliser;
  readonly senders: SenderTable;
}

export class App {
  readonly log: Logger;
  readonly table: MemoryMappingTable;
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
  #pipeline: Pipeline;
  #http: FastifyInstance | undefined;
  #locks: StateLock[] = [];
  /** Whether the snapshot was read into the table (only then may stop write it). */
  #restored = false;
  /** Counters of profile sets and normalisers replaced by reloads, so metrics never go back. */
  readonly #retiredIdentify: IdentifyStats = createStats([]);
  readonly #retiredNormalise = newNormaliseStats();
  /** The sender of the message being matched; set before each match so `emit` needs no closure per message. */
  #sender: Sender | undefined;

  constructor(loaded: LoadedConfig, log: Logger) {
    const { config } = loaded;
    this.log = log;
    this.#loaded = loaded;
    this.#report = createReporter(log);
    this.#pipeline = buildPipeline(loaded);
    this.table = new MemoryMappingTable({
      timeoutMinutes: config.mappings.timeoutMinutes,
      maxEntries: config.mappings.maxEntries,
      onEvent: this.#report.table,
    });
    this.#snapshot = config.mappings.snapshot.enabled
      ? new MappingSnapshot(this.table, { ...config.mappings.snapshot, onEvent: this.#report.snapshot })
      : undefined;

    const { audit } = config.log;
    this.#audit = audit ? new AuditTrail(this.table, { ...audit, onEvent: this.#report.audit }) : undefined;
    this.#history = audit ? new AuditHistory(audit.path, audit.keep) : undefined;

    const kernelDrops = udpKernelDropCounter();
    this.metrics = createMetrics({
      sources: () => this.#syslogSources,
      kernelDrops,
      identify: () => [this.#pipeline.profiles.stats, this.#retiredIdentify, ...(this.#udpWorkers?.identifyStats() ?? [])],
      normalise: () => [this.#pipeline.normalise.stats, this.#retiredNormalise, ...(this.#udpWorkers?.normaliseStats() ?? [])],
      udpWorkers: () => this.#udpWorkers,
      table: () => this.table,
      snapshot: () => this.#snapshot?.stats,
      accounting: () => this.#accountant?.groupStats() ?? [],
      audit: () => this.#audit?.stats,
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
      ? new Accountant({ config: accounting, groups: this.#groups, table: this.table, onEvent: this.#report.accounting })
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
    this.#sender = sender;
    this.#pipeline.profiles.forSender(sender).match(data, sender, this.#emit);
  };

  readonly #emit = (event: IdentityEvent): void => {
    const normalised = this.#pipeline.normalise(event, this.#sender!);
    if (normalised) this.table.apply(normalised);
  };

  async start(): Promise<void> {
    const { config, source } = this.#loaded;
    if (source === DEFAULT_CONFIG_NAME && config.syslog.tls.enabled) {
      if (await ensureCertificates(dirname(config.syslog.tls.cert))) {
        this.log.info({ dir: dirname(config.syslog.tls.cert) }, 'made test certificates for the embedded default config (see certs/README.md for real ones)');
      }
    }
    await this.#lockState();
    this.#audit?.start();
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
    this.log.info({ config: source, profiles: this.#pipeline.profiles.names.length, senders: config.senders.length,
      mappings: this.table.size, accounting: config.accounting.mode }, 'uid-listener started');
  }

  async #startHttp(): Promise<void> {
    this.#http = await buildHttpServer({
      config: this.config.http,
      table: this.table,
      registry: this.metrics.registry,
      health: () => this.#health(),
      ...(this.#accountant ? { accounting: (maxSessions: number) => this.#accountant!.status(maxSessions) } : {}),
      logger: this.log,
      xmlApi: await xmlApiOptions(this.config, (event, sender) => {
        const normalised = this.#pipeline.normalise(event, sender);
        return normalised && this.table.apply(normalised);
      }),
      ...(this.#history ? { history: this.#history } : {}),
      profiles: () => this.#pipeline.profiles,
      senders: () => this.config.senders,
      uiDir: join(PACKAGE_ROOT, 'dist', 'ui'),
    });
    const { address, port } = await listenHttpServer(this.#http, this.config.http);
    this.#listeners.push({ name: 'http', state: 'listening', address: `${address}:${port}` });
  }

  /** What a UDP worker needs: the socket as started (a reload cannot move it) and the current pipeline config. */
  #workerSetup(udp: Config['syslog']['udp']): WorkerSetup {
    const { config } = this.#loaded;
    const { profiles } = this.#pipeline;
    const { ignoreUsers, includeNetworks, excludeNetworks } = config.mappings;
    return {
      udp: { host: udp.host, port: udp.port, receiveBufferBytes: udp.receiveBufferBytes },
      maxMessageBytes: config.syslog.maxMessageBytes,
      senders: config.senders,
      profiles: profiles.names.map((name) => profiles.profile(name)!.definition),
      mappings: { ignoreUsers, includeNetworks, excludeNetworks },
    };
  }

  #health(): HealthReport {
    const accounting = this.#accountant?.status(0);
    return {
      listeners: this.#listeners.map((l) => ({ ...l })),
      mappings: this.table.size,
      ...(accounting ? { accounting: accountingHealth(accounting) } : {}),
    };
  }

  /** One listener per snapshot and spool folder (src/state-lock.ts), taken before either is read. */
  async #lockState(): Promise<void> {
    const { mappings, accounting } = this.config;
    const wanted: [string, string][] = [];
    if (this.#snapshot) wanted.push([`${mappings.snapshot.path}.lock`, 'the snapshot folder']);
    if (this.#accountant) wanted.push([join(accounting.spool, '.lock'), 'the accounting spool']);
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
    this.table.close();
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
    const pipeline = buildPipeline(next);
    const previousConfig = this.#loaded.config;
    const previous = this.#pipeline;
    addIdentifyStats(this.#retiredIdentify, previous.profiles.stats);
    addNormaliseStats(this.#retiredNormalise, previous.normalise.stats);
    this.#pipeline = pipeline;
    this.#sources.setSenders(pipeline.senders);
    this.#loaded = next;
    this.#udpWorkers?.reload();
    const needRestart = restartOnlyChanges(previousConfig, next.config);
    this.log.info({ profiles: pipeline.profiles.names.length, senders: next.config.senders.length }, 'configuration reloaded');
    if (needRestart.length > 0) {
      this.log.warn({ sections: needRestart }, `changes to ${needRestart.join(', ')} take effect at the next restart`);
    }
  }
}

function buildPipeline({ config, profiles }: LoadedConfig): Pipeline {
  const definitions = profiles.names.map((name) => profiles.profile(name)!.definition);
  return { profiles, normalise: createNormaliser(config.mappings, definitions), senders: new SenderTable(config.senders) };
}

/** The config sections a reload cannot apply in place, by name. */
function restartOnlySections(config: Config): Record<string, unknown> {
  const { syslog, http, accounting, log, xmlApi, mappings: { timeoutMinutes, maxEntries, snapshot } } = config;
  return { syslog, http, accounting, log, xmlApi, 'mappings.timeoutMinutes': timeoutMinutes, 'mappings.maxEntries': maxEntries, 'mappings.snapshot': snapshot };
}

/** The restart-only sections that differ between two configs. */
function restartOnlyChanges(before: Config, after: Config): string[] {
  const was = restartOnlySections(before);
  const now = restartOnlySections(after);
  return Object.keys(was).filter((key) => JSON.stringify(was[key]) !== JSON.stringify(now[key]));
}
