/**
 * Walking a config value that may not have passed the schema. Loading reports every issue
 * at once, so path resolution, secrets and semantic checks also run on a config with
 * schema errors; they read it through these helpers and skip whatever has the wrong shape
 * (the schema has already reported that part).
 */
export type Loose = Record<string, unknown>;

export function isRecord(value: unknown): value is Loose {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value under `keys`, or undefined when any step is missing or not an object. */
export function child(node: unknown, ...keys: readonly string[]): unknown {
  let current = node;
  for (const key of keys) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** `[index, object]` for each element of an array that is an object; nothing otherwise. */
export function records(value: unknown): [number, Loose][] {
  if (!Array.isArray(value)) return [];
  const out: [number, Loose][] = [];
  value.forEach((item: unknown, i) => {
    if (isRecord(item)) out.push([i, item]);
  });
  return out;
}

/** `[index, text]` for each string element of an array. */
export function strings(value: unknown): [number, string][] {
  if (!Array.isArray(value)) return [];
  const out: [number, string][] = [];
  value.forEach((item: unknown, i) => {
    if (typeof item === 'string') out.push([i, item]);
  });
  return out;
}

export function text(node: unknown, key: string): string | undefined {
  const value = child(node, key);
  return typeof value === 'string' ? value : undefined;
}
