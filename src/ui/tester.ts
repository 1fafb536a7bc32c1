/** The profile tester: pasted lines through POST /v1/test-profile (the code behind `test-profile --json`). */
import { ApiError, post } from './api.js';
import { byId, fill, h } from './dom.js';

interface TestResult { line: number; events: { profile: string; event: string; user: string; ip: string }[]; reason: string | null }

/** As the API limits them (src/http/routes/test-profile.ts). */
const MAX_LINES = 1000;

export function setUpTester(): void {
  byId('tester-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void run();
  });
}

async function run(): Promise<void> {
  const lines = byId<HTMLTextAreaElement>('tester-lines').value.split(/\r?\n/).filter((l) => l.trim() !== '');
  const note = byId('tester-note');
  if (lines.length === 0) return fill(note, 'Paste at least one message.');
  if (lines.length > MAX_LINES) return fill(note, `At most ${MAX_LINES} lines at once.`);
  fill(note, 'Testing…');
  try {
    const { items } = await post<{ items: TestResult[] }>('/v1/test-profile', { lines });
    const mapped = items.filter((r) => r.events.length > 0).length;
    fill(note, `${mapped} of ${items.length} would map.`);
    fill(byId('tester-results'), ...items.map((r) => h('li', { class: r.events.length > 0 ? 'hit' : 'miss' },
      h('code', {}, lines[r.line - 1] ?? ''),
      r.events.length > 0
        ? h('ul', {}, ...r.events.map((e) => h('li', {}, `${e.event} `, h('b', {}, e.user), ' at ', h('b', {}, e.ip), h('span', { class: 'muted' }, ` (${e.profile})`))))
        : h('p', { class: 'reason' }, `nothing: ${r.reason ?? 'no reason given'}`))));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    fill(note, h('span', { class: 'error' }, error.message));
  }
}
