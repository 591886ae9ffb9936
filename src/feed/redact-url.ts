/**
 * `postgres://user:secret@host/db` -> `postgres://user:***@host/db`, for messages and logs. Its own
 * module so the Redis queue and the CLI can redact a URL without loading the PostgreSQL client.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}
