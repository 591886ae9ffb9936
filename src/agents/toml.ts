// A small TOML reader for the part of TOML agent configs use (Codex's config.toml): tables and
// dotted table headers, key = value with strings (basic and literal, one line), numbers, booleans,
// arrays (may span lines) and inline tables. No TOML parser is among the project's dependencies,
// and this is all `[mcp_servers.x]` tables need. Anything else is a TomlError naming the line,
// never a silent partial read: the caller reports the file as unreadable.

export class TomlError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

type Value = string | number | boolean | Value[] | { [k: string]: Value };
type Table = { [k: string]: Value };

const MAX_DEPTH = 32;

class Reader {
  pos = 0;
  constructor(readonly src: string) {}
  get line(): number {
    return this.src.slice(0, this.pos).split('\n').length;
  }
  fail(msg: string): never {
    throw new TomlError(this.line, msg);
  }
  /** Skip spaces and tabs; with `newlines`, also line breaks and comments. */
  skip(newlines: boolean): void {
    for (;;) {
      const c = this.src[this.pos];
      if (c === ' ' || c === '\t' || c === '\r') this.pos++;
      else if (c === '#') while (this.pos < this.src.length && this.src[this.pos] !== '\n') this.pos++;
      else if (newlines && c === '\n') this.pos++;
      else return;
    }
  }
  key(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.skip(false);
      const c = this.src[this.pos];
      if (c === '"' || c === "'") parts.push(this.string());
      else {
        const m = /^[A-Za-z0-9_-]+/.exec(this.src.slice(this.pos, this.pos + 256));
        if (!m) this.fail('a key was expected');
        parts.push(m[0]);
        this.pos += m[0].length;
      }
      this.skip(false);
      if (this.src[this.pos] !== '.') return parts;
      this.pos++;
    }
  }
  string(): string {
    const quote = this.src[this.pos];
    if (this.src.startsWith(quote!.repeat(3), this.pos)) this.fail('multi-line strings are not supported');
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.src[this.pos++];
      if (c === undefined || c === '\n') this.fail('unterminated string');
      if (c === quote) return out;
      if (c === '\\' && quote === '"') {
        const e = this.src[this.pos++];
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', b: '\b', f: '\f' };
        if (e !== undefined && e in simple) out += simple[e];
        else if (e === 'u' || e === 'U') {
          const len = e === 'u' ? 4 : 8;
          const hex = this.src.slice(this.pos, this.pos + len);
          if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) this.fail('bad unicode escape');
          const cp = parseInt(hex, 16);
          if (cp > 0x10ffff) this.fail('bad unicode escape');
          out += String.fromCodePoint(cp);
          this.pos += len;
        } else this.fail(`bad escape \\${e ?? ''}`);
      } else out += c;
    }
  }
  value(depth: number): Value {
    if (depth > MAX_DEPTH) this.fail('values nested too deep');
    this.skip(false);
    const c = this.src[this.pos];
    if (c === '"' || c === "'") return this.string();
    if (c === '[') {
      this.pos++;
      const out: Value[] = [];
      for (;;) {
        this.skip(true);
        if (this.src[this.pos] === ']') {
          this.pos++;
          return out;
        }
        out.push(this.value(depth + 1));
        this.skip(true);
        if (this.src[this.pos] === ',') this.pos++;
        else if (this.src[this.pos] !== ']') this.fail('"," or "]" expected in an array');
      }
    }
    if (c === '{') {
      this.pos++;
      const out: Table = {};
      this.skip(false);
      if (this.src[this.pos] === '}') {
        this.pos++;
        return out;
      }
      for (;;) {
        const k = this.key();
        if (this.src[this.pos] !== '=') this.fail('"=" expected');
        this.pos++;
        assign(out, k, this.value(depth + 1), this);
        this.skip(false);
        if (this.src[this.pos] === '}') {
          this.pos++;
          return out;
        }
        if (this.src[this.pos] !== ',') this.fail('"," or "}" expected in an inline table');
        this.pos++;
      }
    }
    const m = /^(?:true|false|[+-]?(?:\d[\d_]*)(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?|[+-]?(?:inf|nan))(?=[\s,\]}#]|$)/.exec(this.src.slice(this.pos, this.pos + 64));
    if (!m) this.fail('a value was expected (dates and multi-line strings are not supported)');
    this.pos += m[0].length;
    if (m[0] === 'true') return true;
    if (m[0] === 'false') return false;
    return Number(m[0].replace(/_/g, ''));
  }
}

function isTable(v: Value | undefined): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function tableAt(root: Table, keys: readonly string[], r: Reader): Table {
  let t = root;
  for (const k of keys) {
    if (k === '__proto__') r.fail('the key __proto__ is refused');
    const next = t[k];
    if (next === undefined) t = t[k] = Object.create(null) as Table;
    else if (isTable(next)) t = next;
    else if (Array.isArray(next) && isTable(next[next.length - 1])) t = next[next.length - 1] as Table;
    else r.fail(`${keys.join('.')} is not a table`);
  }
  return t;
}

function assign(t: Table, keys: readonly string[], v: Value, r: Reader): void {
  const parent = tableAt(t, keys.slice(0, -1), r);
  const last = keys[keys.length - 1]!;
  if (last === '__proto__') r.fail('the key __proto__ is refused');
  if (last in parent) r.fail(`duplicate key ${keys.join('.')}`);
  parent[last] = v;
}

/** Parse TOML text (the subset above) into plain objects. Throws TomlError with a line number. */
export function parseToml(text: string): Table {
  const r = new Reader(text);
  const root = Object.create(null) as Table;
  let current = root;
  for (;;) {
    r.skip(true);
    if (r.pos >= text.length) return root;
    if (text[r.pos] === '[') {
      const array = text[r.pos + 1] === '[';
      r.pos += array ? 2 : 1;
      const keys = r.key();
      if (!text.startsWith(array ? ']]' : ']', r.pos)) r.fail('"]" expected after a table name');
      r.pos += array ? 2 : 1;
      if (array) {
        const parent = tableAt(root, keys.slice(0, -1), r);
        const last = keys[keys.length - 1]!;
        const list: Value = (parent[last] ??= []);
        if (!Array.isArray(list)) r.fail(`${keys.join('.')} is not an array of tables`);
        current = Object.create(null) as Table;
        (list as Value[]).push(current);
      } else current = tableAt(root, keys, r);
    } else {
      const keys = r.key();
      if (text[r.pos] !== '=') r.fail('"=" expected after a key');
      r.pos++;
      assign(current, keys, r.value(0), r);
    }
    r.skip(false);
    if (r.pos < text.length && text[r.pos] !== '\n') r.fail('end of line expected');
  }
}
