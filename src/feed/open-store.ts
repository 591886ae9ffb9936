// `--store` takes a file (the embedded SQLite store) or a postgres:// URL (the distributed mode's
// store). One factory, so `watch`, `results` and `worker` read the option the same way.
import { SqliteStore } from './sqlite-store.js';
import type { ResultStore } from './types.js';

export const isPostgresUrl = (value: string): boolean => /^postgres(?:ql)?:\/\//i.test(value);

/**
 * Open the store named by a --store value. `readonly` (for `tollgate results`): SQLite opens
 * read-only without the watcher's lock; PostgreSQL creates no tables.
 */
export async function openResultStore(value: string, options: { readonly?: boolean } = {}): Promise<ResultStore> {
  // The PostgreSQL client is loaded only for a postgres:// store: `watch` and `results` on the
  // default SQLite file never pay for it.
  if (isPostgresUrl(value)) return (await import('./pg-store.js')).PgStore.open(value, { readonly: options.readonly });
  return SqliteStore.open(value, { readonly: options.readonly });
}
