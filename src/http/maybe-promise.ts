import type { MaybePromise } from '../mappings/table.js';

/** The table may answer now (memory) or later (a shared store): branch without awaiting the sync case. */
export function isPromiseLike<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
