import type { SenderConfig, Transport } from '../config/schema.js';

export type { Transport };

/** A configured syslog sender (PAN-OS "Syslog Sender"), as the sources resolve it. */
export type Sender = SenderConfig;

/**
 * A source's whole output: one message's bytes (framing and trailing CR/LF removed), the
 * sender it was admitted for, and how it came. Called synchronously per message with no
 * wrapper object, to keep the hot path free of allocations. A returned promise asks a
 * stream source to pause reading that connection until it settles (back-pressure); UDP
 * cannot pause and ignores it.
 */
export type MessageHandler = (data: Buffer, sender: Sender, transport: Transport) => void | Promise<void>;
