/**
 * The status page (docs/status-page.md): asks the API whether it needs a token, shows the
 * token form or the panels, follows the change stream for the mappings and polls the
 * rest (/metrics, /healthz, /v1/accounting, /v1/senders) every 5 s while visible, sooner
 * (1 s apart at most) when changes arrive.
 */
import { renderAccounting, type AccountingStatus } from './accounting.js';
import { ApiError, json, text, token, Unauthorized } from './api.js';
import { byId, count, fill, h } from './dom.js';
import { MappingsPanel } from './mappings.js';
import { renderProfiles } from './profiles.js';
import { parseMetrics } from './prometheus.js';
import { renderSenders, type SenderConfig } from './senders.js';
import { followEvents } from './sse.js';
import { setUpTester } from './tester.js';

const POLL_MS = 5000;
/** A table change brings the next poll forward, but polls stay at least this far apart. */
const MIN_POLL_GAP_MS = 1000;

/** A change arrived since the last poll (so counters moved); `wake` ends the poll loop's wait early. */
let changed = false;
let wake: (() => void) | undefined;
const nudge = () => {
  changed = true;
  wake?.();
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `accounting` is there only when accounting is on. */
interface Health { status: string; listeners: { name: string; state: string; address?: string }[]; mappings: number; accounting?: unknown }

let session: AbortController | undefined;

function showLogin(message = ''): void {
  session?.abort();
  session = undefined;
  byId('status').hidden = true;
  byId('logout').hidden = true;
  byId('login').hidden = false;
  fill(byId('live'), 'signed out');
  byId('live').className = 'badge';
  fill(byId('login-error'), message);
  byId<HTMLInputElement>('token').focus();
}

/** Whether the API answers with the token we hold (or without one, when it needs none). */
async function admitted(): Promise<boolean> {
  try {
    await json('/v1/mappings?limit=1');
    return true;
  } catch (error) {
    if (error instanceof Unauthorized) return false;
    throw error;
  }
}

async function open(): Promise<void> {
  if (!(await admitted())) {
    const had = token.get() !== null;
    token.clear();
    return showLogin(had ? 'That token is not one of http.tokens.' : '');
  }
  byId('login').hidden = true;
  byId('status').hidden = false;
  byId('logout').hidden = token.get() === null;
  session = new AbortController();
  const { signal } = session;
  const mappings = new MappingsPanel();
  const live = byId('live');
  const onError = (error: unknown) => {
    if (error instanceof Unauthorized) showLogin('The token is no longer accepted.');
    else if (!signal.aborted) console.error(error);
  };
  await mappings.load();
  followEvents((event) => {
    mappings.apply(event);
    nudge();
  }, (state) => {
    fill(live, state === 'live' ? 'live' : 'reconnecting…');
    live.className = `badge ${state === 'live' ? 'ok' : 'warn'}`;
    if (state === 'live') void mappings.load().catch(onError); // catch up on what a reconnect may have missed
  }, signal).catch(onError);
  void poll(mappings, signal).catch(onError);
}

async function poll(mappings: MappingsPanel, signal: AbortSignal): Promise<void> {
  let senders: SenderConfig[] | undefined;
  while (!signal.aborted) {
    if (!document.hidden) {
      const health = await json<Health>('/healthz');
      const [metrics, accounting, configured] = await Promise.all([
        text('/metrics'),
        health.accounting ? json<AccountingStatus>('/v1/accounting?limit=0') : null,
        senders ? Promise.resolve({ items: senders }) : json<{ items: SenderConfig[] }>('/v1/senders').catch(absentAs(undefined)),
      ]);
      if (signal.aborted) return;
      senders = configured?.items;
      const samples = parseMetrics(metrics);
      mappings.total = health.mappings;
      fill(byId('summary'), h('span', { class: `pill ${health.status === 'ok' ? 'ok' : health.status === 'down' ? 'bad' : 'warn'}` }, health.status), ' ',
        health.listeners.map((l) => `${l.name} ${l.address ?? ''}${l.state === 'listening' ? '' : ` (${l.state})`}`).join(' · '),
        ` · ${count(health.mappings)} mappings`);
      renderSenders(senders, samples, health, Date.now());
      renderProfiles(samples);
      renderAccounting(accounting);
    }
    changed = false;
    await sleep(MIN_POLL_GAP_MS);
    if (!changed) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, POLL_MS - MIN_POLL_GAP_MS);
      });
      wake = undefined;
    }
  }
}

/** For an optional route: its 404 becomes `value`, anything else stays an error. */
function absentAs<T>(value: T): (error: unknown) => T {
  return (error) => {
    if (error instanceof ApiError && error.status === 404) return value;
    throw error;
  };
}

byId('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = byId<HTMLInputElement>('token');
  token.set(input.value.trim());
  input.value = '';
  void open().catch((error) => fill(byId('login-error'), String(error)));
});
byId('logout').addEventListener('click', () => {
  token.clear();
  showLogin();
});
setUpTester();
void open().catch((error) => fill(byId('summary'), h('span', { class: 'error' }, `The API did not answer: ${String(error)}`)));
