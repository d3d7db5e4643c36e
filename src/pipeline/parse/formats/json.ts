import type { KvPair } from './types.ts';

/**
 * JSON after a syslog header (`<14>1 … app - - {"user":"…"}`, syslog-ng's format-json, many cloud agents):
 * every leaf comes back under its path (`a.b`, `a[0]`, as the classifier names paths of JSON events), with the
 * offsets of its member — the separating comma included — so that cutting a dropped leaf leaves valid JSON.
 * JSON.parse does the validating and the unescaping; this scanner only records where each member is.
 */
export function parseEmbeddedJson(text: string, at: number): KvPair[] | null {
  let end = text.length;
  while (end > at && /\s/.test(text[end - 1])) end--;
  if (text[at] !== '{' || text[end - 1] !== '}') return null;
  try {
    JSON.parse(text.slice(at, end));
  } catch {
    return null;
  }
  const pairs: KvPair[] = [];
  new Scanner(text, end, pairs).value(at, '');
  return pairs;
}

class Scanner {
  constructor(private readonly t: string, private readonly n: number, private readonly out: KvPair[]) {}

  private ws(i: number): number {
    while (i < this.n && (this.t[i] === ' ' || this.t[i] === '\t' || this.t[i] === '\n' || this.t[i] === '\r')) i++;
    return i;
  }

  private str(i: number): number {
    let p = i + 1;
    while (this.t[p] !== '"') p += this.t[p] === '\\' ? 2 : 1;
    return p + 1;
  }

  /** Scans the value at i; leaves are recorded by the container that holds them. Returns its end. */
  value(i: number, path: string): number {
    const c = this.t[i];
    if (c === '{') return this.container(i, path, true);
    if (c === '[') return this.container(i, path, false);
    if (c === '"') return this.str(i);
    let p = i;
    while (p < this.n && !',}] \t\r\n'.includes(this.t[p])) p++;
    return p;
  }

  private leaf(path: string, start: number, end: number, vs: number, ve: number): void {
    const v = JSON.parse(this.t.slice(vs, ve)) as unknown;
    this.out.push({ key: path, value: v === null ? '' : typeof v === 'string' ? v : String(v), start, end });
  }

  private container(i: number, path: string, obj: boolean): number {
    const close = obj ? '}' : ']';
    let p = this.ws(i + 1);
    let k = 0;
    let prevComma = -1;
    while (this.t[p] !== close) {
      const ms = p;
      let child: string;
      if (obj) {
        const ke = this.str(p);
        const key = JSON.parse(this.t.slice(p, ke)) as string;
        child = path === '' ? key : `${path}.${key}`;
        p = this.ws(ke);
        p = this.ws(p + 1); // ':'
      } else child = `${path}[${k}]`;
      const vs = p;
      const leaf = this.t[p] !== '{' && this.t[p] !== '[';
      const ve = this.value(p, child);
      p = this.ws(ve);
      let me = ve;
      if (this.t[p] === ',') {
        me = this.ws(p + 1);
        if (leaf) this.leaf(child, ms, me, vs, ve);
        prevComma = p;
        p = me;
      } else {
        // the last member takes the comma before it, if any
        if (leaf) this.leaf(child, prevComma === -1 ? ms : prevComma, me, vs, ve);
      }
      k++;
    }
    // an empty object or array is a leaf of its own
    if (k === 0 && path !== '') this.out.push({ key: path, value: '', start: i, end: p + 1 });
    return p + 1;
  }
}
