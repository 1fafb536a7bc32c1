/**
 * The profile directory (`profilesDir`): every `*.yaml` / `*.yml` file in it is one parse
 * profile. Every problem of every file comes back at once as a `file:line:col` issue (YAML
 * syntax, unknown keys, wrong values, RE2 refusals, duplicate names); the returned set
 * holds the profiles that compiled and is fit for use only when `issues` is empty.
 * A single file may be given instead of a directory (`uid-listener test-profile FILE`).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { ConfigIssue } from '../errors.js';
import type { Position, ProfileDefinition, SampleDefinition } from '../identify/definition.js';
import { ProfileSet } from '../identify/profile-set.js';
import { FieldProfileSchema, PROFILE_TYPES, RegexProfileSchema, type FieldProfileFile, type RegexProfileFile } from './profile-schema.js';
import { validate, YamlSource } from './yaml-source.js';

const NAME = /^[A-Za-z0-9_.-]{1,255}$/;
const POSITIONED_KEYS = ['name', 'eventRegex', 'usernameRegex', 'addressRegex', 'eventString', 'usernamePrefix',
  'usernameDelimiter', 'addressPrefix', 'addressDelimiter'] as const;

export async function loadProfiles(dir: string): Promise<{ profiles: ProfileSet; issues: ConfigIssue[] }> {
  const issues: ConfigIssue[] = [];
  const definitions: ProfileDefinition[] = [];
  for (const file of await profileFiles(dir, issues)) {
    const definition = await readProfile(file, issues);
    if (definition) definitions.push(definition);
  }
  const { set, issues: compileIssues } = ProfileSet.build(definitions);
  issues.push(...compileIssues);
  issues.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col));
  return { profiles: set, issues };
}

async function profileFiles(path: string, issues: ConfigIssue[]): Promise<string[]> {
  try {
    if (!(await stat(path)).isDirectory()) return [path];
    const entries = await readdir(path, { withFileTypes: true });
    return entries
      .filter((e) => e.isFile() && !e.name.startsWith('.') && /\.ya?ml$/i.test(e.name))
      .map((e) => join(path, e.name))
      .sort();
  } catch (error) {
    issues.push(fileIssue(path, `cannot read the profile directory or file: ${describeError(error)}`));
    return [];
  }
}

async function readProfile(file: string, issues: ConfigIssue[]): Promise<ProfileDefinition | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    issues.push(fileIssue(file, `cannot read the profile: ${describeError(error)}`));
    return null;
  }
  const { source, issues: syntax } = YamlSource.parse(file, text);
  if (syntax.length > 0) {
    issues.push(...syntax);
    return null;
  }
  const value = source.toValue();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    issues.push(source.issueAt(1, 1, 'UID_ERR_CONFIG_VALUE', 'a profile file holds one mapping (type, event, patterns, samples)'));
    return null;
  }
  const type = (value as { type?: unknown }).type;
  if (type !== 'regex' && type !== 'field') {
    const message = type === undefined
      ? `missing required key "type" (one of: ${PROFILE_TYPES.join(', ')})`
      : `type must be one of: ${PROFILE_TYPES.join(', ')}`;
    issues.push(source.issue(['type'], 'UID_ERR_CONFIG_VALUE', message));
    return null;
  }
  const checked = type === 'regex' ? validate(source, RegexProfileSchema, value) : validate(source, FieldProfileSchema, value);
  if (checked.issues.length > 0) {
    issues.push(...checked.issues);
    return null;
  }
  const name = checked.value.name ?? basename(file, extname(file));
  if (!NAME.test(name)) {
    issues.push(source.issueAt(1, 1, 'UID_ERR_CONFIG_VALUE',
      `the file name gives the profile name "${name}", which may hold only letters, digits, "_", "." and "-"; rename the file or set name:`));
    return null;
  }
  return toDefinition(source, checked.value, name);
}

function toDefinition(source: YamlSource, profile: RegexProfileFile | FieldProfileFile, name: string): ProfileDefinition {
  const at = (path: readonly (string | number)[]): Position => ({ file: source.file, ...source.position(path) });
  const positions: Partial<Record<(typeof POSITIONED_KEYS)[number], Position>> = {};
  for (const key of POSITIONED_KEYS) if (key in profile) positions[key] = at([key]);
  const samples: SampleDefinition[] = (profile.samples ?? []).map((s, i) => ({ ...s, at: at(['samples', i]) }));
  return { ...profile, name, samples, at: { file: source.file, line: 1, col: 1 }, positions };
}

function fileIssue(file: string, message: string): ConfigIssue {
  return { code: 'UID_ERR_CONFIG_FILE', file, line: 1, col: 1, message };
}

function describeError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code ?? (error instanceof Error ? error.message : String(error));
}
