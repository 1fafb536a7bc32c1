/**
 * Results as markdown: one block per part, between markers in BENCHMARKS.md, so a run of
 * some parts replaces only their blocks and the prose around them stays.
 */

export function renderPart(part, result, results) {
  const m = results.machine;
  const lines = [
    `### ${part.title}`,
    '',
    `Measured ${results.date.slice(0, 16).replace('T', ' ')} UTC with \`${results.command}\` on ${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, ` +
      `${m.os}, Linux ${m.kernel}, Node ${m.node}${m.rsyslog ? `, rsyslog ${m.rsyslog}` : ''}${m.wrk ? `, wrk ${m.wrk}` : ''}; ` +
      `load average ${result.loadBefore} at the start; the part took ${Math.round(result.seconds)} s.`,
    '',
  ];
  if (result.error) {
    lines.push('**Failed:**', '', '```', result.error.split('\n').slice(0, 12).join('\n'), '```');
    return lines.join('\n');
  }
  for (const t of result.tables) lines.push(`**${t.caption}**`, '', t.markdown, '');
  for (const note of result.notes ?? []) lines.push(`- ${note}`);
  return lines.join('\n').trimEnd();
}

const start = (name) => `<!-- bench:${name}:start -->`;
const end = (name) => `<!-- bench:${name}:end -->`;

/** BENCHMARKS.md with the blocks of the parts that ran replaced (appended when new). */
export function updateBenchmarks(text, parts, results) {
  let out = text;
  for (const part of parts) {
    const block = `${start(part.name)}\n${renderPart(part, results.parts[part.name], results)}\n${end(part.name)}`;
    const from = out.indexOf(start(part.name));
    const to = out.indexOf(end(part.name));
    if (from !== -1 && to > from) out = out.slice(0, from) + block + out.slice(to + end(part.name).length);
    else out = `${out.trimEnd()}\n\n${block}\n`;
  }
  return out;
}
