/**
 * Our words for every JSON-schema rule a config or profile can break, so that `check`
 * never shows the schema library's own phrasing ("must NOT have fewer than 1 characters").
 * Each function gets one ajv error (verbose: `data` is the offending value) and returns
 * the sentence that follows the place (`syslog.udp.port must be …`). Unknown keys,
 * missing keys and choices (`enum`) are worded where their issue is placed (yaml-source.ts).
 */
import type { ErrorObject } from 'ajv';

const TYPE_NAMES: Record<string, string> = {
  integer: 'a whole number',
  number: 'a number',
  string: 'text',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping of keys to values',
  null: 'empty',
};

type Wording = (params: Record<string, unknown>, data: unknown) => string;

const WORDINGS: Record<string, Wording> = {
  type: (p) => `must be ${String(p['type']).split(',').map((t) => TYPE_NAMES[t] ?? t).join(' or ')}`,
  minimum: (p, data) => `must be at least ${String(p['limit'])}${got(data)}`,
  maximum: (p, data) => `must be at most ${String(p['limit'])}${got(data)}`,
  exclusiveMinimum: (p, data) => `must be more than ${String(p['limit'])}${got(data)}`,
  exclusiveMaximum: (p, data) => `must be less than ${String(p['limit'])}${got(data)}`,
  multipleOf: (p, data) => `must be a multiple of ${String(p['multipleOf'])}${got(data)}`,
  minLength: (p) => (p['limit'] === 1 ? 'must not be empty' : `must be at least ${String(p['limit'])} characters long`),
  maxLength: (p) => `must be at most ${String(p['limit'])} characters long`,
  minItems: (p) => (p['limit'] === 1 ? 'must list at least one item' : `must list at least ${String(p['limit'])} items`),
  maxItems: (p) => `must list at most ${String(p['limit'])} items`,
  // ajv: item i repeats the earlier item j.
  uniqueItems: (p, data) => `lists ${JSON.stringify((data as unknown[] | undefined)?.[Number(p['i'])])} twice (items ${String(p['j'])} and ${String(p['i'])}); give each once`,
  pattern: (p) => describePattern(String(p['pattern'])),
  format: (p) => `must be a valid ${String(p['format'])}`,
  const: (p) => `must be ${JSON.stringify(p['allowedValue'])}`,
  minProperties: (p) => `must have at least ${String(p['limit'])} key(s)`,
  maxProperties: (p) => `must have at most ${String(p['limit'])} key(s)`,
  propertyNames: () => 'has a key name that is not allowed',
  dependentRequired: (p) => `needs "${String(p['missingProperty'])}" when "${String(p['property'])}" is set`,
  not: () => 'is a value that is not allowed here',
};

/** The sentence after the place for an ajv error; a rule without its own wording still gets ours. */
export function schemaWording(error: ErrorObject): string {
  const wording = WORDINGS[error.keyword];
  return wording ? wording(error.params as Record<string, unknown>, error.data) : `is not allowed here (schema rule "${error.keyword}")`;
}

/** The keywords worded here (tests check every one the schemas use). */
export const WORDED_KEYWORDS: readonly string[] = Object.keys(WORDINGS);

function got(data: unknown): string {
  return typeof data === 'number' ? ` (is ${data})` : '';
}

/** `^[A-Za-z0-9_.:-]+$` → "may only contain letters, digits and _ . : -". */
function describePattern(pattern: string): string {
  const set = /^\^\[([^\]]+)\]\+\$$/.exec(pattern)?.[1];
  if (set === undefined) return `must match the pattern ${pattern}`;
  let rest = set;
  const kinds: string[] = [];
  for (const [range, name] of [['A-Za-z', 'letters'], ['a-zA-Z', 'letters'], ['0-9', 'digits']] as const) {
    if (rest.includes(range)) {
      kinds.push(name);
      rest = rest.replace(range, '');
    }
  }
  const others = [...rest.replace(/\\/g, '')].join(' ');
  return `may only contain ${[...new Set(kinds)].join(', ')}${others ? ` and ${others}` : ''}`;
}
