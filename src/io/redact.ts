// One place that removes credentials from text before it reaches a log line, an error or a report:
// `user:password@` in any URL (passwords may hold `/`, which URL parsers read as the path), token-like
// query parameters, and npmrc credential keys (`_authToken=`, `_auth=`, `_password=`).

/** Query parameters whose value is a credential (webhook keys, signed URLs, API tokens). */
const SECRET_PARAM = /^(?:.*token.*|.*secret.*|.*passw(?:or)?d.*|.*key|key.*|auth.*|.*sig(?:nature)?|sig.*|code|session.*|credentials?)$/i;
/** A URL in free text: a scheme, `//`, then everything up to whitespace or a quote. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]{0,31}:\/\/[^\s"'<>`]+/gi;
/** `//host/:_authToken=value`, `_auth = value`, `_password=value` as written in an npmrc or an error. */
const NPMRC_SECRET = /(_authToken|_auth|_password|password|token)(\s*[=:]\s*)("?)[^\s"',;]+\3/gi;
const MASK = '***';

/**
 * The authority of `url` (after `scheme://`) split into userinfo and the rest. The userinfo ends at
 * the last `@` before the host; for a password holding `/` (`postgres://u:pa/ss@h/db`) the first
 * `/` does not end it when the text before it is `user:something` that is not a port.
 */
function splitUserinfo(afterScheme: string): { userinfo?: string; rest: string } {
  const firstSlash = afterScheme.search(/[/?#]/);
  const authority = firstSlash === -1 ? afterScheme : afterScheme.slice(0, firstSlash);
  const at = authority.lastIndexOf('@');
  if (at !== -1) return { userinfo: authority.slice(0, at), rest: afterScheme.slice(at + 1) };
  // `user:pa/ss@host`: a colon followed by something that is not a port, and an `@` later on.
  const colon = /^[^:@]*:(?!\d*$)/.exec(authority);
  const later = afterScheme.indexOf('@', authority.length);
  if (colon && later !== -1) return { userinfo: afterScheme.slice(0, later), rest: afterScheme.slice(later + 1) };
  return { rest: afterScheme };
}

/** `scheme://user:secret@host/path?token=x` -> `scheme://user:***@host/path?token=***`. */
export function redactUrl(url: string): string {
  const m = /^([a-z][a-z0-9+.-]{0,31}:\/\/)(.*)$/is.exec(url);
  if (!m) return redactQuery(url);
  const [, scheme, after] = m as unknown as [string, string, string];
  const { userinfo, rest } = splitUserinfo(after);
  let head = scheme;
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    // A lone userinfo over http is a token (`https://TOKEN@host`): masked whole. Elsewhere
    // (`postgres://tollgate@host`) it is a user name; `user:pass` keeps the user, masks the rest.
    if (colon !== -1) head += `${userinfo.slice(0, colon)}:${MASK}@`;
    else head += /^https?:/i.test(scheme) ? `${MASK}@` : `${userinfo}@`;
  }
  return head + redactQuery(rest);
}

function redactQuery(s: string): string {
  const q = s.indexOf('?');
  if (q === -1) return s;
  const hash = s.indexOf('#', q);
  const query = s.slice(q + 1, hash === -1 ? undefined : hash);
  const safe = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq === -1) return pair;
      let name = pair.slice(0, eq);
      try {
        name = decodeURIComponent(name);
      } catch {
        // keep it raw
      }
      return SECRET_PARAM.test(name) ? `${pair.slice(0, eq)}=${MASK}` : pair;
    })
    .join('&');
  return s.slice(0, q + 1) + safe + (hash === -1 ? '' : s.slice(hash));
}

/** Every URL and npmrc credential in free text (an error message, a log line) redacted. */
export function redactText(text: string): string {
  return text.replace(URL_IN_TEXT, (u) => redactUrl(u)).replace(NPMRC_SECRET, (_m, key: string, sep: string, q: string) => `${key}${sep}${q}${MASK}${q}`);
}
