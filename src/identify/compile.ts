/**
 * Profile definition → compiled profile. Every pattern is compiled by RE2 once, here; a
 * pattern RE2 refuses (lookaround, backreference, bad syntax) becomes an issue at that
 * pattern's line with RE2's own reason. All issues of a definition come back together.
 */
import RE2 from 're2';
import type { ConfigIssue, ErrorCode } from '../errors.js';
import { positionOf, type FieldKey, type FieldProfileDefinition, type ProfileDefinition, type RegexKey, type RegexProfileDefinition } from './definition.js';
import { compileCapture } from './capture.js';
import { parseDelimiter } from './field.js';
import { requiredLiteral } from './literal.js';
import { FieldProfile, RegexProfile, type CompiledProfile } from './profile.js';

export function compileProfile(definition: ProfileDefinition): { profile: CompiledProfile | null; issues: ConfigIssue[] } {
  return definition.type === 'regex' ? compileRegex(definition) : compileField(definition);
}

function compileRegex(definition: RegexProfileDefinition): { profile: CompiledProfile | null; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const compile = <T>(key: RegexKey, build: (pattern: string) => T): T | null => {
    const pattern = definition[key];
    if (pattern === '') {
      issues.push(issue(definition, key, 'UID_ERR_CONFIG_VALUE', `${key} is empty`));
      return null;
    }
    try {
      return build(pattern);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      issues.push(issue(definition, key, 'UID_ERR_PROFILE_REGEX',
        `${key} ${JSON.stringify(pattern)} is not a pattern RE2 accepts: ${reason} ` +
        '(RE2 has no lookaround and no backreferences; see docs/profiles.md)'));
      return null;
    }
  };
  const eventRe = compile('eventRegex', (p) => new RE2(p));
  const user = compile('usernameRegex', (p) => compileCapture(p, 'utf8'));
  const address = compile('addressRegex', (p) => compileCapture(p, 'latin1'));
  if (!eventRe || !user || !address) return { profile: null, issues };
  const required = requiredLiteral(definition.eventRegex);
  const literal = required ? Buffer.from(required.literal) : null;
  return { profile: new RegexProfile(definition, eventRe, user, address, literal, required?.exact ?? false), issues };
}

function compileField(definition: FieldProfileDefinition): { profile: CompiledProfile | null; issues: ConfigIssue[] } {
  const keys: FieldKey[] = ['eventString', 'usernamePrefix', 'usernameDelimiter', 'addressPrefix', 'addressDelimiter'];
  const issues = keys
    .filter((key) => definition[key] === '')
    .map((key) => issue(definition, key, 'UID_ERR_CONFIG_VALUE', `${key} is empty`));
  if (issues.length > 0) return { profile: null, issues };
  const profile = new FieldProfile(definition, parseDelimiter(definition.usernameDelimiter), parseDelimiter(definition.addressDelimiter));
  return { profile, issues };
}

function issue(definition: ProfileDefinition, key: RegexKey | FieldKey, code: ErrorCode, message: string): ConfigIssue {
  const { file, line, col } = positionOf(definition, key);
  return { code, file, line, col, message: `profile "${definition.name}": ${message}` };
}
