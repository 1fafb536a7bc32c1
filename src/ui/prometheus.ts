/**
 * Reads the Prometheus text exposition format (prometheus.io/docs/instrumenting/exposition_formats,
 * "Text format details"): `name{label="value",…} value [timestamp]`, `#` lines are HELP/TYPE
 * or comments, label values escape `\\`, `\"` and `\n`. Enough for the page to read /metrics.
 */
export interface Sample { readonly name: string; readonly labels: Readonly<Record<string, string>>; readonly value: number }

export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const sample = parseLine(line);
    if (sample) samples.push(sample);
  }
  return samples;
}

function parseLine(line: string): Sample | undefined {
  const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
  if (!name) return undefined;
  let at = name.length;
  const labels: Record<string, string> = {};
  if (line[at] === '{') {
    at++;
    for (;;) {
      while (line[at] === ' ' || line[at] === ',') at++;
      if (line[at] === '}') { at++; break; }
      const key = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(at))?.[0];
      if (!key || line[at + key.length] !== '=' || line[at + key.length + 1] !== '"') return undefined;
      at += key.length + 2;
      let value = '';
      for (; at < line.length && line[at] !== '"'; at++) {
        if (line[at] === '\\') {
          at++;
          value += line[at] === 'n' ? '\n' : line[at] ?? '';
        } else value += line[at];
      }
      if (line[at] !== '"') return undefined;
      at++;
      labels[key] = value;
    }
  }
  const [valueText] = line.slice(at).trim().split(/\s+/);
  const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
  return valueText === undefined || (Number.isNaN(value) && valueText !== 'NaN') ? undefined : { name, labels, value };
}

/** The samples of one metric. */
export function named(samples: readonly Sample[], name: string): Sample[] {
  return samples.filter((s) => s.name === name);
}
