/**
 * YAML text → plain value, validated against a JSON schema, with every problem placed at
 * its `file:line:col`. Used for the main config and for each parse profile, so both report
 * errors the same way and all at once.
 */
import { Ajv, type ErrorObject } from 'ajv';
import type { Static, TSchema } from '@sinclair/typebox';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { ConfigIssue, ErrorCode } from '../errors.js';
import { schemaWording } from './schema-wording.js';

export type YamlPath = readonly (string | number)[];

/** `senders[0].address`: how messages name a place in a document. */
export function formatPath(path: YamlPath): string {
  let out = '';
  for (const segment of path) out += typeof segment === 'number' ? `[${segment}]` : out ? `.${segment}` : segment;
  return out || 'top level';
}

export class YamlSource {
  readonly file: string;
  readonly doc: Document.Parsed;
  private readonly lines: LineCounter;

  private constructor(file: string, doc: Document.Parsed, lines: LineCounter) {
    this.file = file;
    this.doc = doc;
    this.lines = lines;
  }

  /** Parses `text`; syntax errors come back as issues (the source is still usable for positions). */
  static parse(file: string, text: string): { source: YamlSource; issues: ConfigIssue[] } {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
    const source = new YamlSource(file, doc, lines);
    const issues = doc.errors.map((e) => {
      const pos = e.linePos?.[0] ?? { line: 1, col: 1 };
      // prettyErrors appends "at line L, column C:" and a code frame; the issue prefix already says where.
      const firstLine = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
      return source.issueAt(pos.line, pos.col, 'UID_ERR_CONFIG_YAML', firstLine);
    });
    return { source, issues };
  }

  /** The document as plain data; an empty document is an empty object. */
  toValue(): unknown {
    return this.doc.toJS() ?? {};
  }

  issueAt(line: number, col: number, code: ErrorCode, message: string): ConfigIssue {
    return { code, file: this.file, line, col, message };
  }

  /** An issue placed at the value under `path` (or at its key when `atKey`), else at the nearest ancestor. */
  issue(path: YamlPath, code: ErrorCode, message: string, atKey = false): ConfigIssue {
    const { line, col } = this.position(path, atKey);
    return this.issueAt(line, col, code, message);
  }

  /** 1-based line and column of the node under `path`; walks up to the nearest node that exists. */
  position(path: YamlPath, atKey = false): { line: number; col: number } {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = this.nodeAt(path.slice(0, depth), atKey && depth === path.length);
      const offset = node?.range?.[0];
      if (offset !== undefined) return this.lines.linePos(offset);
    }
    return { line: 1, col: 1 };
  }

  private nodeAt(path: YamlPath, key: boolean): Node | undefined {
    let node: unknown = this.doc.contents;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) return undefined;
        node = last && key ? pair.key : pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        node = node.items[segment];
      } else {
        return undefined;
      }
    }
    return (node ?? undefined) as Node | undefined;
  }
}

// verbose: errors carry parentSchema, which lists the allowed keys for an unknown-key issue.
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, verbose: true });
const validators = new WeakMap<TSchema, ReturnType<Ajv['compile']>>();

/**
 * Validates `value` (defaults are filled in place) and turns schema errors into issues
 * at the offending key or value. Unknown keys are errors: they are usually typos.
 */
export function validate<S extends TSchema>(
  source: YamlSource,
  schema: S,
  value: unknown,
): { value: Static<S>; issues: ConfigIssue[] } {
  let check = validators.get(schema);
  if (!check) {
    check = ajv.compile(schema);
    validators.set(schema, check);
  }
  check(value);
  const issues = (check.errors ?? []).filter(isReportable).map((e) => toIssue(source, e));
  return { value: value as Static<S>, issues: dedupe(issues) };
}

function toIssue(source: YamlSource, error: ErrorObject): ConfigIssue {
  const path = pointerToPath(error.instancePath);
  const where = formatPath(path);
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(error.params['additionalProperty']);
      const allowed = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return source.issue([...path, key], 'UID_ERR_CONFIG_KEY',
        `unknown key "${key}" in ${where}${allowed.length ? ` (expected one of: ${allowed.join(', ')})` : ''}`, true);
    }
    case 'required':
      return source.issue(path, 'UID_ERR_CONFIG_VALUE', `${where}: missing required key "${String(error.params['missingProperty'])}"`, true);
    case 'enum':
      return source.issue(path, 'UID_ERR_CONFIG_VALUE',
        `${where} must be one of: ${(error.params['allowedValues'] as unknown[]).join(', ')}`);
    default:
      return source.issue(path, 'UID_ERR_CONFIG_VALUE', `${where} ${schemaWording(error)}`);
  }
}

/** `anyOf`/`oneOf` summaries repeat what their branches already said. */
function isReportable(error: ErrorObject): boolean {
  return error.keyword !== 'anyOf' && error.keyword !== 'oneOf' && error.keyword !== 'if';
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.line}:${i.col}:${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}
