/** Summaries and formatting of repeated measurements. */

export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** "median (min–max)" when there are several values, else the value; `format` renders one number. */
export function spread(values, format) {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return '–';
  if (finite.length === 1) return format(finite[0]);
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  return lo === hi ? format(lo) : `${format(median(finite))} (${format(lo)}–${format(hi)})`;
}

export const kilo = (n) => (n >= 10_000 ? `${Math.round(n / 1000)}k` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(Math.round(n)));
export const percent = (fraction) => (fraction === 0 ? '0%' : fraction < 0.001 ? `${(fraction * 100).toFixed(3)}%` : `${(fraction * 100).toFixed(1)}%`);
export const ratio = (r) => (Number.isFinite(r) ? `${r.toFixed(2)}×` : '–');
export const ms = (v) => (Number.isFinite(v) ? `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms` : '–');
export const micros = (v) => (Number.isFinite(v) ? `${v.toFixed(1)} µs` : '–');
export const mib = (bytes) => `${Math.round(bytes / 2 ** 20)} MiB`;

/** A markdown table. */
export function table(columns, rows) {
  return [
    `| ${columns.join(' | ')} |`,
    `|${columns.map((c, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}
