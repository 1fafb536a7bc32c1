/**
 * `uid-listener draft-profile SAMPLES_FILE [--out FILE] [--name NAME]`: reads sample lines
 * of a device no profile covers (one message per line, taken literally) and writes a
 * starting profile as YAML (to stdout, or FILE): the drafted patterns, the lines as
 * `samples:` with what the draft maps from each, and comments on what it could not decide
 * (src/identify/draft/draft.ts). Exit 0 when written, 1 when there is nothing to learn from.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { parseArgs } from 'node:util';
import { Document, isMap, isSeq, Scalar, type YAMLMap } from 'yaml';
import { ConfigError } from '../errors.js';
import { draftProfile, type Draft } from '../identify/draft/draft.js';

const USAGE_ERROR = 2;

export async function draftProfileCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args, options: { out: { type: 'string' }, name: { type: 'string' } }, allowPositionals: true, strict: true,
  });
  const [file, extra] = positionals;
  if (file === undefined || extra !== undefined) {
    process.stderr.write('uid-listener draft-profile: expects one SAMPLES_FILE (see uid-listener --help)\n');
    return USAGE_ERROR;
  }
  const lines = sampleLines(await readSamples(file));
  if (lines.length === 0) {
    throw new ConfigError([{ code: 'UID_ERR_DRAFT_INPUT', file, line: 1, col: 1, message: 'no sample lines: give one message per line, as the device sends them' }]);
  }
  const name = values.name ?? `draft-${basename(file, extname(file)).replace(/[^A-Za-z0-9_.-]+/g, '-')}`;
  const yaml = draftYaml(draftProfile(lines, name), file);
  if (values.out === undefined) process.stdout.write(yaml);
  else await writeFile(values.out, yaml);
  return 0;
}

async function readSamples(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError([{ code: 'UID_ERR_CONFIG_FILE', file, line: 1, col: 1, message: `cannot read the sample lines (${reason})` }]);
  }
}

/** One message per line, as `test-profile` reads them: LF or CR LF endings, a leading BOM dropped, blank lines skipped. */
function sampleLines(text: string): string[] {
  return text.replace(/^\uFEFF/, '').split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
}

/** The draft as a profile file, with comments where it could not decide. */
export function draftYaml(draft: Draft, source: string): string {
  const { definition, samples, notes } = draft;
  const doc = new Document({
    name: definition.name,
    description: definition.description,
    type: definition.type,
    event: definition.event,
    eventRegex: definition.eventRegex,
    usernameRegex: definition.usernameRegex,
    addressRegex: definition.addressRegex,
    samples: samples.map(({ message, expect }) => ({ message, expect })),
  });
  doc.commentBefore = [
    ` DRAFT by uid-listener draft-profile from ${basename(source)}: a start for an admin, not a finished profile.`,
    ' Check every pattern and every expect below, then run: uid-listener test-profile THIS_FILE',
    ...(notes.length > 0 ? [' Could not decide, or guessed:', ...notes.map((n) => `  - ${n}`)] : []),
  ].join('\n');
  const root = doc.contents as YAMLMap;
  for (const key of ['eventRegex', 'usernameRegex', 'addressRegex']) (root.get(key, true) as Scalar).type = Scalar.QUOTE_SINGLE;
  const seq = root.get('samples', true);
  if (isSeq(seq)) seq.items.forEach((item, i) => {
    if (!isMap(item)) return;
    (item.get('message', true) as Scalar).type = Scalar.QUOTE_DOUBLE;
    const expect = item.get('expect', true);
    if (isSeq(expect)) {
      expect.flow = true;
      for (const e of expect.items) if (isMap(e)) e.flow = true;
    }
    const note = samples[i]!.note;
    if (note !== undefined) item.commentBefore = ` ${note}`;
  });
  return doc.toString({ lineWidth: 0 });
}
