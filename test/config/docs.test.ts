import { readFileSync } from 'node:fs';
import type { TSchema } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';

/** Every property path of a JSON schema, through nested objects and arrays of objects. */
function keyPaths(schema: TSchema, prefix = ''): string[] {
  const node = schema.type === 'array' ? (schema['items'] as TSchema) : schema;
  const properties = (node['properties'] ?? {}) as Record<string, TSchema>;
  return Object.entries(properties).flatMap(([key, child]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return [path, ...keyPaths(child, path)];
  });
}

describe('docs/configuration.md', () => {
  it('documents every key of the config schema', () => {
    const paths = keyPaths(ConfigSchema);
    expect(paths).toContain('accounting.groups.servers.tls.servername'); // the walk reaches the deepest keys
    const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    const undocumented = paths.filter((path) => {
      const key = path.slice(path.lastIndexOf('.') + 1);
      return !new RegExp(`\`[^\`\\n]*\\b${key}\\b[^\`\\n]*\``).test(doc);
    });
    expect(undocumented).toEqual([]);
  });
});
