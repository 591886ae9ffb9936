// `--store` takes a file (the embedded SQLite store) or a postgres:// URL (the distributed mode's
// store). One factory, so `watch`, `results` and `worker` read the option the same way.
import { PgStore } from './pg-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { ResultStore } from './types.js';

export const isPostgresUrl = (value: string): boolean => /^postgres(?:ql)?:\/\//i.test(value);

/**
 * Open the store named by a --store value. `readonly` (for `tollgate results`): SQLite opens
 * read-only without the watcher's lock; PostgreSQL creates no tables.
 */
export async function openResultStore(value: string, options: { readonly?: boolean } = {}): Promise<ResultStore> {
  if (isPostgresUrl(value)) return PgStore.open(value, { readonly: options.readonly });
  return SqliteStore.open(value, { readonly: options.readonly });
}
