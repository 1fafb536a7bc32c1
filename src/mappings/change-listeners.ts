/**
 * The subscribers of a table, and the one way a change reaches them: counted per kind,
 * each listener isolated (one that throws is counted and reported, the others and the
 * table go on). Every MappingTable implementation emits through this.
 */
import type { MappingTableEvent, MappingTableStats } from './events.js';
import type { ChangeListener, MappingChange } from './table.js';

export class ChangeListeners {
  #listeners: readonly ChangeListener[] = [];

  constructor(
    private readonly stats: MappingTableStats,
    private readonly onEvent: ((event: MappingTableEvent) => void) | undefined,
  ) {}

  subscribe(listener: ChangeListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  emit(change: MappingChange): MappingChange {
    this.stats.changes[change.kind]++;
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        this.stats.listenerErrors++;
        this.#report({ type: 'listener-error', error });
      }
    }
    return change;
  }

  #report(event: MappingTableEvent): void {
    try {
      this.onEvent?.(event);
    } catch {
      // A failing event sink must not break the table either; the counter still moved.
    }
  }
}
