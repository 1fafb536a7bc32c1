import { describe, expect, it } from 'vitest';
import { FieldProfileSchema, RegexProfileSchema } from '../../src/config/profile-schema.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { WORDED_KEYWORDS } from '../../src/config/schema-wording.js';
import { validate, YamlSource } from '../../src/config/yaml-source.js';

/** Keywords that hold no rule of their own, or whose issues yaml-source.ts words itself. */
const NOT_RULES = new Set(['properties', 'items', 'default', 'additionalProperties', 'required', 'enum', 'anyOf', 'oneOf', 'if', 'then', 'else', '$id', 'title', 'description']);

/** Every validation keyword a schema uses, anywhere inside it. */
function keywords(schema: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) for (const item of schema) keywords(item, into);
  else if (typeof schema === 'object' && schema !== null) {
    for (const [key, value] of Object.entries(schema)) {
      if (key === 'properties') for (const sub of Object.values(value as object)) keywords(sub, into);
      else {
        into.add(key);
        keywords(value, into);
      }
    }
  }
  return into;
}

function messages(yaml: string): string[] {
  const { source } = YamlSource.parse('c.yaml', yaml);
  return validate(source, ConfigSchema, source.toValue()).issues.map((i) => `${i.line}:${i.col} ${i.message}`);
}

describe('schema errors in our words', () => {
  it('has a wording for every keyword the config and profile schemas use', () => {
    const used = new Set([...keywords(ConfigSchema), ...keywords(RegexProfileSchema), ...keywords(FieldProfileSchema)]);
    expect([...used].filter((k) => !NOT_RULES.has(k) && !WORDED_KEYWORDS.includes(k))).toEqual([]);
    expect(WORDED_KEYWORDS).toEqual(expect.arrayContaining(['type', 'minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'uniqueItems', 'pattern']));
  });

  it('words types, ranges, lengths, list sizes, duplicates and name patterns', () => {
    expect(messages(`
syslog:
  udp: { port: 70000, receiveBufferBytes: "big" }
  maxMessageBytes: 10
senders:
  - { name: "bad name", address: "", transports: [udp, udp] }
  - { name: ok, address: 10.0.0.1, transports: [] }
http: { enabled: maybe }
accounting: { groups: [{ name: "g/1", servers: [] }] }
`)).toEqual([
      '3:16 syslog.udp.port must be at most 65535 (is 70000)',
      '3:43 syslog.udp.receiveBufferBytes must be a whole number',
      '4:20 syslog.maxMessageBytes must be at least 480 (is 10)',
      '6:13 senders[0].name may only contain letters, digits and _ . : -',
      '6:34 senders[0].address must not be empty',
      '6:50 senders[0].transports lists "udp" twice (items 0 and 1); give each once',
      '7:48 senders[1].transports must list at least one item',
      '8:18 http.enabled must be true or false',
      '9:32 accounting.groups[0].name may only contain letters, digits and _ . -',
      '9:48 accounting.groups[0].servers must list at least one item',
    ]);
  });

  it('never shows the schema library\'s phrasing', () => {
    const all = messages(`syslog: { udp: [], tls: { port: -1 } }\nsenders: {}\nmappings: { ignoreUsers: [""], timeoutMinutes: 1.5 }\nlog: 3\n`);
    expect(all.length).toBeGreaterThan(4);
    for (const line of all) expect(line).not.toMatch(/must NOT|must be (integer|string|array|object|boolean|number|>=|<=)|must match pattern|must have required|equal to one of/);
  });
});
