/**
 * One source's rare-event reporting: turns what happened into `SyslogEvent`s for the
 * caller's callback, rate-limiting the kinds a peer can provoke at will.
 */
import type { SyslogEvent, SyslogEventHandler } from './events.js';
import type { Sender, Transport } from './message.js';
import { RateLimiter } from './rate-limit.js';
import type { SenderTable } from './senders.js';

const MINUTE = 60_000;

export class SourceReporter {
  // Each unknown address once a minute, at most 20 addresses a minute.
  private readonly unknown = new RateLimiter(MINUTE, 20);
  private readonly limits = new RateLimiter(MINUTE, 10);
  private readonly handlerErrors = new RateLimiter(10_000, 5);

  constructor(
    private readonly transport: Transport,
    private readonly onEvent: SyslogEventHandler | undefined,
  ) {}

  emit(event: SyslogEvent): void {
    this.onEvent?.(event);
  }

  unknownSender(address: string, senders: SenderTable): void {
    if (!this.onEvent) return;
    const suppressed = this.unknown.take(address, Date.now());
    if (suppressed < 0) return;
    const { hint, yaml } = senders.admissionHint(address, this.transport);
    this.onEvent({ type: 'unknown-sender', transport: this.transport, address, hint, yaml, suppressed });
  }

  connectionLimit(address: string, limit: 'maxConnections' | 'maxConnectionsPerSender', value: number): void {
    if (!this.onEvent) return;
    const suppressed = this.limits.take(`${limit} ${address}`, Date.now());
    if (suppressed < 0) return;
    this.onEvent({ type: 'connection-limit', transport: this.transport, address, limit, value, suppressed });
  }

  handlerError(sender: Sender, error: unknown): void {
    if (!this.onEvent) return;
    const suppressed = this.handlerErrors.take(sender.name, Date.now());
    if (suppressed < 0) return;
    this.onEvent({ type: 'handler-error', transport: this.transport, sender: sender.name, error, suppressed });
  }
}
