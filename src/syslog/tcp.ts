/**
 * Plain TCP syslog (RFC 6587; off by default — the PAN-OS Windows agent listens on TCP
 * 514). Everything but the handshake is shared with TLS in stream.ts.
 */
import type { Connection } from './connection.js';
import { StreamSource, type StreamSourceOptions } from './stream.js';

export type TcpSourceOptions = StreamSourceOptions;

export class TcpSource extends StreamSource {
  constructor(options: TcpSourceOptions) {
    super('tcp', options);
  }

  protected override open(connection: Connection): void {
    connection.begin();
  }

  protected override recheck(): void {
    // Only its address identifies a TCP peer, and the new table still admits that.
  }
}
