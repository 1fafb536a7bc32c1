/**
 * The helper's loop: read request lines from Squid, answer each exactly once. One lookup
 * is in flight at a time; lines that arrive meanwhile queue up and go together in the
 * next bulk request. Answers leave in arrival order, which is what Squid needs without
 * channel-IDs and allowed with them. A failed lookup answers BH for its lines and the loop
 * goes on: Squid gives up on helpers that die, and caches ERR for negative_ttl, so
 * neither an exit nor an ERR may stand for "the listener is down". Ends when stdin ends
 * and every line read has been answered.
 */
import type { Readable, Writable } from 'node:stream';
import { formatAnswer, parseRequest, type HelperAnswer, type HelperRequest } from './protocol.js';
import type { Lookup, LookupResult } from './lookup-client.js';

/** Lines per bulk request; more wait for the next one (the API takes 10,000). */
export const MAX_BATCH = 1000;
/** A line longer than this is not a request Squid would send for %SRC; it is answered BH. */
const MAX_LINE = 64 * 1024;

export interface HelperEvents {
  /** A lookup failed: its lines were answered BH (the CLI writes this to stderr, i.e. Squid's cache.log). */
  readonly onLookupFailure?: (message: string, lines: number) => void;
}

export async function runHelper(input: Readable, output: Writable, lookup: Lookup, events: HelperEvents = {}): Promise<void> {
  const queue: HelperRequest[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  let pending = '';
  /** The line being read is over MAX_LINE: its start is kept (for the channel-ID), the rest dropped up to its end. */
  let overlong = false;

  const take = (line: string) => {
    if (!overlong && line.length <= MAX_LINE) return queue.push(parseRequest(line));
    overlong = false;
    const { channel } = parseRequest(line.slice(0, 32));
    return queue.push({ ...(channel === undefined ? {} : { channel }), problem: `a request line over ${MAX_LINE} bytes (UID_ERR_SQUID_REQUEST)` });
  };
  input.setEncoding('utf8');
  input.on('data', (chunk: string) => {
    pending += chunk;
    let start = 0;
    for (let lf = pending.indexOf('\n'); lf !== -1; lf = pending.indexOf('\n', start)) {
      take(pending.slice(start, pending.charCodeAt(lf - 1) === 13 && lf > start ? lf - 1 : lf));
      start = lf + 1;
    }
    pending = pending.slice(start);
    if (pending.length > MAX_LINE) {
      // Exactly one answer per line, however long: remember the start, answer at its end.
      pending = pending.slice(0, 32);
      overlong = true;
    }
    wake?.();
  });
  const finish = () => {
    if (pending !== '' || overlong) take(pending);
    pending = '';
    ended = true;
    wake?.();
  };
  input.once('end', finish);
  input.once('error', finish);

  for (;;) {
    if (queue.length === 0) {
      if (ended) return;
      await new Promise<void>((resolve) => { wake = resolve; });
      wake = undefined;
      continue;
    }
    const answers = await answerBatch(queue.splice(0, MAX_BATCH), lookup, events);
    if (!output.write(answers)) await new Promise((resolve) => output.once('drain', resolve));
  }
}

/** Every line's result line, in order, as one string. */
async function answerBatch(requests: readonly HelperRequest[], lookup: Lookup, events: HelperEvents): Promise<string> {
  const addresses: string[] = [];
  for (const request of requests) if (request.address !== undefined) addresses.push(request.address);
  let results: readonly LookupResult[] = [];
  let failure: string | undefined;
  if (addresses.length > 0) {
    try {
      results = await lookup(addresses);
    } catch (error) {
      failure = (error as Error).message;
      events.onLookupFailure?.(failure, addresses.length);
    }
  }
  let next = 0;
  let text = '';
  for (const request of requests) {
    let answer: HelperAnswer;
    if (request.address === undefined) answer = { result: 'BH', message: request.problem! };
    else if (failure !== undefined) answer = { result: 'BH', message: failure };
    else answer = toAnswer(results[next++]!);
    text += formatAnswer(request.channel, answer);
  }
  return text;
}

function toAnswer(result: LookupResult): HelperAnswer {
  if ('error' in result) return { result: 'BH', message: result.error };
  return result.user === null ? { result: 'ERR' } : { result: 'OK', user: result.user };
}
