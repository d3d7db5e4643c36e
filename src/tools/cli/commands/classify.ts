import { createReadStream, statSync, write as fsWrite } from 'node:fs';
import { Command, Option } from 'commander';
import { isSimError, SimError } from '../../../errors/sim-error.ts';
// Types only: the classifier, the filter and the policy modules (the catalog's validation: Ajv) are imported by
// the command's action, so that `ingestor-sim classify --help` loads no more than the top-level help does.
import type { Matcher } from '../../../pipeline/classify/compile.ts';
import type { Category, Verdict, SecretsPolicy, TenantSettingId, UndeclaredPolicy } from '../../../pipeline/classify/types.ts';
import { CATEGORIES } from '../../../pipeline/classify/types.ts';
import type { Policy } from '../../../pipeline/filter/index.ts';
import { scanContainer } from '../../../pipeline/parse/envelope.ts';
import { splitText, w3cFieldsDirective } from '../../../pipeline/parse/formats/index.ts';

export interface InputEvent {
  /** 0-based number of the event across all inputs. */
  n: number;
  file: string;
  line: number;
  event: unknown;
  sourcetype: string | undefined;
}

export type InputKind = 'auto' | 'json' | 'text';

const MAX_DEPTH = 128;
/** A JSON object bigger than this is refused (the reader holds one object at a time). */
const MAX_OBJECT = 64 * 1024 * 1024;
const W3C_DIRECTIVE = /^#(?:Version|Software|Date|Remark|Start-Date|End-Date|Fields):/;

/**
 * Reads events incrementally from text handed over in chunks of any size, so that input of any length is
 * read in memory bounded by its largest event: NDJSON or HEC batches (JSON objects back to back, newline-
 * separated or not, or in top-level arrays; an object with an `event` key is a HEC envelope whose `event` is
 * classified and whose `sourcetype` picks the module), or plain text, one event per line (W3C `#Fields:`
 * directives name the columns of the lines after them). Every character is looked at a bounded number of
 * times; line numbers are counted as the reader advances. Bad input throws SimError SIM_ERR_USAGE (exit 2) naming file and line.
 */
export class EventReader {
  private buf = '';
  private pos = 0;
  private line = 1;
  /** buf offset up to which newlines have been counted into `line` */
  private counted = 0;
  private mode: 'detect' | 'json' | 'text';
  private array: 'none' | 'value' | 'sep' = 'none';
  private w3cFields: readonly string[] | null = null;
  private started = false;

  constructor(
    private readonly file: string,
    private next: number,
    kind: InputKind = 'auto',
    private readonly sourcetype: string | undefined = undefined,
  ) {
    this.mode = kind === 'auto' ? 'detect' : kind;
  }

  get count(): number {
    return this.next;
  }

  /** Events complete in the text so far. */
  push(chunk: string): InputEvent[] {
    this.buf += chunk;
    const out: InputEvent[] = [];
    this.drain(out, false);
    this.compact();
    return out;
  }

  /** The events left at the end of the input; throws on a truncated object or array. */
  end(): InputEvent[] {
    const out: InputEvent[] = [];
    this.drain(out, true);
    return out;
  }

  private compact(): void {
    if (this.pos > 1 << 16) {
      this.lineAt(this.pos); // count the lines of what is dropped
      this.buf = this.buf.slice(this.pos);
      this.counted -= this.pos;
      this.lineScan = Math.max(0, this.lineScan - this.pos);
      this.pos = 0;
    }
  }

  private lineAt(at: number): number {
    const b = this.buf;
    let line = this.line;
    for (let i = b.indexOf('\n', this.counted); i !== -1 && i < at; i = b.indexOf('\n', i + 1)) line++;
    this.line = line;
    this.counted = at;
    return line;
  }

  private fail(at: number, what: string): never {
    throw new SimError('SIM_ERR_USAGE', { detail: `${this.file}:${this.lineAt(Math.min(at, this.buf.length))}: ${what}` });
  }

  private skipWs(k: number): number {
    const b = this.buf;
    const n = b.length;
    while (k < n) {
      const c = b.charCodeAt(k);
      if (c !== 32 && c !== 10 && c !== 13 && c !== 9) break;
      k++;
    }
    return k;
  }

  private drain(out: InputEvent[], final: boolean): void {
    if (!this.started) {
      if (this.buf.length === 0 && !final) return;
      if (this.buf.charCodeAt(0) === 0xfeff) this.pos = this.counted = 1;
      this.started = true;
    }
    if (this.mode === 'detect') {
      const k = this.skipWs(this.pos);
      if (k >= this.buf.length && !final) return;
      const c = this.buf[k];
      if (c === '{') this.mode = 'json';
      else if (c === '[') {
        const j = this.skipWs(k + 1);
        if (j >= this.buf.length && !final) return;
        this.mode = this.buf[j] === '{' || this.buf[j] === ']' ? 'json' : 'text';
      } else this.mode = 'text';
    }
    if (this.mode === 'text') this.drainText(out, final);
    else this.drainJson(out, final);
  }

  /** Where the search for the end of an unfinished text line goes on (no text is searched twice). */
  private lineScan = 0;

  private drainText(out: InputEvent[], final: boolean): void {
    const b = this.buf;
    for (;;) {
      let nl = b.indexOf('\n', Math.max(this.pos, this.lineScan));
      if (nl === -1) {
        if (b.length - this.pos > MAX_OBJECT) this.fail(this.pos, `a line longer than ${MAX_OBJECT} characters`);
        if (!final || this.pos >= b.length) {
          this.lineScan = b.length;
          return;
        }
        nl = b.length;
      }
      let end = nl;
      if (end > this.pos && b.charCodeAt(end - 1) === 13) end--;
      const line = b.slice(this.pos, end);
      const lineNo = this.lineAt(this.pos);
      this.pos = nl + 1;
      if (line.trim() === '') continue;
      if (line.charCodeAt(0) === 35 /* # */ && W3C_DIRECTIVE.test(line)) {
        const fields = w3cFieldsDirective(line);
        if (fields) this.w3cFields = fields;
        continue;
      }
      let event: unknown = line;
      if (this.w3cFields !== null) {
        // columns named by a #Fields: directive: the line becomes the record those columns describe
        const r = splitText(line, this.sourcetype, { w3cFields: this.w3cFields });
        if (r.format === 'w3c') {
          const obj: Record<string, string> = Object.create(null);
          for (const p of r.pairs) obj[p.key] = p.value;
          event = obj;
        }
      }
      out.push({ n: this.next++, file: this.file, line: lineNo, event, sourcetype: this.sourcetype });
    }
  }

  private take(start: number, out: InputEvent[], final: boolean): number {
    const b = this.buf;
    // NDJSON fast path: an object that fills the rest of its line is parsed without a separate scan
    const nl = b.indexOf('\n', start);
    if (nl !== -1) {
      let e = nl;
      while (e > start && (b.charCodeAt(e - 1) === 13 || b.charCodeAt(e - 1) === 32 || b.charCodeAt(e - 1) === 9)) e--;
      if (b.charCodeAt(e - 1) === 125 /* } */) {
        let value: unknown;
        try {
          value = JSON.parse(b.slice(start, e));
        } catch {
          value = undefined; // several objects on the line, or an error: the scan below says which
        }
        if (value !== undefined) return this.accept(value, start, e, out);
      }
    }
    const end = scanContainer(b, start, MAX_DEPTH);
    if (end === -2) this.fail(start, `JSON nested deeper than ${MAX_DEPTH} levels`);
    if (end === -1) {
      if (final) this.fail(start, 'a JSON object that never closes (truncated input?)');
      if (b.length - start > MAX_OBJECT) this.fail(start, `a JSON object larger than ${MAX_OBJECT} characters`);
      return -1;
    }
    let value: unknown;
    try {
      value = JSON.parse(b.slice(start, end));
    } catch (err) {
      this.fail(start, `not valid JSON: ${(err as Error).message}`);
    }
    return this.accept(value, start, end, out);
  }

  private accept(value: unknown, start: number, end: number, out: InputEvent[]): number {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) this.fail(start, 'expected a JSON object');
    const obj = value as Record<string, unknown>;
    const isEnvelope = Object.prototype.hasOwnProperty.call(obj, 'event');
    out.push({
      n: this.next++,
      file: this.file,
      line: this.lineAt(start),
      event: isEnvelope ? obj.event : obj,
      sourcetype: isEnvelope && typeof obj.sourcetype === 'string' ? obj.sourcetype : this.sourcetype,
    });
    return end;
  }

  private drainJson(out: InputEvent[], final: boolean): void {
    for (;;) {
      const i = this.skipWs(this.pos);
      const b = this.buf;
      if (i >= b.length) {
        this.pos = i;
        if (final && this.array !== 'none') this.fail(b.length, 'an array that never closes');
        return;
      }
      const c = b[i];
      if (this.array === 'sep') {
        if (c === ',') this.array = 'value';
        else if (c === ']') this.array = 'none';
        else this.fail(i, `expected ',' or ']' in the array, found '${c}'`);
        this.pos = i + 1;
        continue;
      }
      if (this.array === 'value' && c === ']') {
        this.array = 'none';
        this.pos = i + 1;
        continue;
      }
      if (c === '{') {
        const end = this.take(i, out, final);
        if (end === -1) {
          this.pos = i;
          return;
        }
        this.pos = end;
        if (this.array === 'value') this.array = 'sep';
      } else if (c === '[' && this.array === 'none') {
        this.array = 'value';
        this.pos = i + 1;
      } else if (this.array !== 'none') {
        this.fail(i, `expected a JSON object in the array, found '${c}'`);
      } else {
        // a partial last line may still be completing: wait for its end before judging it
        this.fail(i, `expected a JSON object, found '${b.slice(i, i + 20).split('\n')[0]}'`);
      }
    }
  }
}

/** Reads a whole text at once (tests, small inputs): the same reader as the streaming path. */
export function readEvents(text: string, file: string, first: number, kind: InputKind = 'auto', sourcetype?: string): InputEvent[] {
  const r = new EventReader(file, first, kind, sourcetype);
  return [...r.push(text), ...r.end()];
}

export interface ClassifiedEvent {
  input: InputEvent;
  module: string | null;
  fields: Verdict[];
  dropped: number;
  flagged: number;
}

/** The filter's applyPolicy, handed in by the caller that imported the filter (the action imports it when it runs). */
type ApplyPolicy = typeof import('../../../pipeline/filter/index.ts').applyPolicy;

export function classifyOne(matcher: Matcher, policy: Policy, ev: InputEvent, moduleId: string | null, applyPolicy: ApplyPolicy): ClassifiedEvent {
  const mod = moduleId ?? (ev.sourcetype !== undefined ? matcher.moduleForSourcetype(ev.sourcetype)?.id ?? null : null);
  const r = applyPolicy(policy, ev.event, matcher.classifyEvent(ev.event, mod, ev.sourcetype), { module: mod, sourcetype: ev.sourcetype });
  return { input: ev, module: mod, fields: r.fields, dropped: r.dropped, flagged: r.flagged };
}

function pad(s: string, w: number): string {
  return s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w);
}

/** The table: one block per event, then the totals (streamed: blocks are rendered as events come). */
export class TableRenderer {
  private counts = { keep: 0, flag: 0, drop: 0 };
  private byCat = new Map<Category, number>(CATEGORIES.map((c) => [c, 0]));
  private fields = 0;
  private events = 0;

  block(r: ClassifiedEvent): string {
    this.events++;
    const lines: string[] = [];
    lines.push(`event ${r.input.n} (${r.input.file}:${r.input.line}) module: ${r.module ?? '(none: every field is checked against all modules)'}`);
    lines.push(`  ${pad('FIELD', 34)} ${pad('ITEM', 28)} ${pad('MODULE', 40)} ${pad('CATEGORY', 17)} ${pad('BY', 5)} ACTION`);
    for (const f of r.fields) {
      this.fields++;
      this.counts[f.action]++;
      this.byCat.set(f.category, (this.byCat.get(f.category) ?? 0) + 1);
      lines.push(`  ${pad(f.path, 34)} ${pad(f.item ?? '-', 28)} ${pad(f.module ?? '-', 40)} ${pad(f.category, 17)} ${pad(f.by, 5)} ${f.action}${f.action === 'drop' && f.reason ? `  (${f.reason})` : ''}`);
    }
    lines.push('');
    return `${lines.join('\n')}\n`;
  }

  summary(): string {
    const cats = [...this.byCat].filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ');
    const { keep, flag, drop } = this.counts;
    return `${this.events} event${this.events === 1 ? '' : 's'}, ${this.fields} fields: keep ${keep}, flag ${flag}, drop ${drop}\nby category: ${cats || 'none'}\n`;
  }
}

/**
 * `--json` rows. A row is `{"event":N,` followed by the rest of the verdict's JSON, which is the same for
 * every event that shares the verdict (verdicts are shared objects): that rest is made once per verdict, as
 * UTF-8 bytes, in a cache of bounded size, and copied into the output as it is (no string built per row).
 */
class JsonRows {
  private cache = new Map<Verdict, Buffer>();

  rows(r: ClassifiedEvent, out: Out): void {
    const head = out.head(r.input.n);
    for (const f of r.fields) {
      let rest = this.cache.get(f);
      if (rest === undefined) {
        rest = Buffer.from(`${JSON.stringify({ path: f.path, item: f.item, group: f.group ?? null, module: f.module, category: f.category, by: f.by, action: f.action, ...(f.masked ? { masked: f.masked } : {}), ...(f.declaredBy !== undefined ? { declaredBy: f.declaredBy } : {}) }).slice(1)}\n`);
        if (this.cache.size >= 50_000) this.cache.clear();
        this.cache.set(f, rest);
      }
      out.bytes(head);
      out.bytes(rest);
    }
  }
}

/** The size of one output buffer, and how many full ones may wait for the writer before the reader pauses. */
const OUT_CHUNK = 1 << 20;
const OUT_QUEUE = 4;
const HEAD_PREFIX = Buffer.from('{"event":', 'latin1');

/** Where the output ends early: the reader of the pipe went away (`classify ... | head`). */
const PIPE_CLOSED = new Set(['EPIPE', 'ECONNRESET']);

/**
 * The command's output, written to a file descriptor (stdout's) from byte buffers: rows are copied into a 1 MiB
 * buffer, and a full one is handed to fs.write, which runs on libuv's thread pool, while the next is filled; at
 * most OUT_QUEUE full buffers wait (memory stays bounded when the reader is slow: the caller awaits room()).
 * Through a pipe (`| wc -l`) the reader then drains it while the classifier works: with process.stdout, whose
 * writes to a pipe are synchronous on Linux, the classifier waited on every 64 KiB the pipe holds. One write is
 * in flight at a time, so the bytes keep their order. A reader that goes away ends the output quietly.
 */
export class Out {
  private buf: Buffer = Buffer.allocUnsafe(OUT_CHUNK);
  private used = 0;
  private readonly queue: Buffer[] = [];
  /** Written buffers, used again: a new 1 MiB buffer is fresh memory, a page fault per 4 KiB on first touch. */
  private readonly spare: Buffer[] = [];
  private writing = false;
  private waiter: (() => void) | null = null;
  private failure: Error | null = null;
  /** The reader went away: nothing more is written. */
  closed = false;

  constructor(
    private readonly fd: number = 1,
    private readonly write: typeof fsWrite = fsWrite,
  ) {}

  private readonly headBytes = new Uint8Array(32);

  /** The bytes of `{"event":N,` (a row's head), in a scratch array valid until the next call. */
  head(n: number): Uint8Array {
    const h = this.headBytes;
    let k = HEAD_PREFIX.length;
    h.set(HEAD_PREFIX, 0);
    let digits = 1;
    for (let t = n; t >= 10; t = Math.floor(t / 10)) digits++;
    let m = n;
    for (let i = k + digits - 1; i >= k; i--) {
      h[i] = 48 + (m % 10);
      m = Math.floor(m / 10);
    }
    k += digits;
    h[k++] = 44; // ,
    return h.subarray(0, k);
  }

  /** Text, as UTF-8. */
  text(s: string): void {
    const n = Buffer.byteLength(s);
    if (OUT_CHUNK - this.used < n) this.rotate(n);
    this.used += this.buf.write(s, this.used, 'utf8');
  }

  bytes(b: Uint8Array): void {
    if (OUT_CHUNK - this.used < b.length) this.rotate(b.length);
    // TypedArray set: a memcpy (Buffer#copy checks and wraps its arguments in JavaScript first)
    this.buf.set(b, this.used);
    this.used += b.length;
  }

  /** Whether the caller should await room() before adding more. */
  get full(): boolean {
    return this.queue.length >= OUT_QUEUE;
  }

  /** Waits until fewer than OUT_QUEUE buffers wait for the writer; throws what the writer met (not a closed pipe). */
  async room(): Promise<void> {
    while (this.queue.length >= OUT_QUEUE && this.failure === null && !this.closed) await new Promise<void>((res) => { this.waiter = res; });
    if (this.failure !== null) throw this.failure;
  }

  /** Writes what is left and waits for every write to end. */
  async end(): Promise<void> {
    this.rotate(0);
    while ((this.queue.length > 0 || this.writing) && this.failure === null && !this.closed) await new Promise<void>((res) => { this.waiter = res; });
    if (this.failure !== null) throw this.failure;
  }

  /** Queues the filled part of the buffer and starts a new one (big enough for `need` bytes). */
  private rotate(need: number): void {
    if (this.used > 0) {
      this.queue.push(this.buf.subarray(0, this.used));
      this.buf = need <= OUT_CHUNK ? this.spare.pop() ?? Buffer.allocUnsafe(OUT_CHUNK) : Buffer.allocUnsafe(need);
      this.used = 0;
      this.pump();
    } else if (need > this.buf.length) this.buf = Buffer.allocUnsafe(need);
  }

  private pump(): void {
    if (this.writing || this.closed || this.failure !== null) return;
    const b = this.queue[0];
    if (b === undefined) return;
    this.writing = true;
    this.writeAll(b, 0);
  }

  private writeAll(b: Buffer, off: number): void {
    this.write(this.fd, b, off, b.length - off, null, (err, n) => {
      if (err !== null) {
        // stdout left non-blocking by another user of the descriptor: try again shortly
        if (err.code === 'EAGAIN') { setTimeout(() => this.writeAll(b, off), 1); return; }
        this.writing = false;
        if (PIPE_CLOSED.has(err.code ?? '')) this.closed = true;
        else this.failure = err;
        this.queue.length = 0;
        this.wake();
        return;
      }
      if (off + n < b.length) { this.writeAll(b, off + n); return; }
      this.queue.shift();
      if (b.byteOffset === 0 && b.buffer.byteLength === OUT_CHUNK) this.spare.push(Buffer.from(b.buffer, 0, OUT_CHUNK));
      this.writing = false;
      this.pump();
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}

/** A one-line status on a terminal's stderr for long inputs (once a second); nothing when it is not a TTY. */
export class Progress {
  private last: number;
  private readonly on: boolean;
  private shown = false;

  constructor(
    private readonly total: number,
    private readonly out: { isTTY?: boolean; write(s: string): unknown } = process.stderr,
    private readonly now: () => number = Date.now,
  ) {
    this.on = out.isTTY === true;
    this.last = now();
  }

  tick(events: number, bytes: number): void {
    if (!this.on) return;
    const now = this.now();
    if (now - this.last < 1000) return;
    this.last = now;
    const mb = (n: number) => (n / 1048576).toFixed(0);
    const pct = this.total > 0 ? ` (${Math.min(100, (100 * bytes) / this.total).toFixed(0)}%)` : '';
    this.out.write(`\rclassify: ${events.toLocaleString('en-US')} events, ${mb(bytes)} of ${this.total > 0 ? mb(this.total) : '?'} MB${pct}   `);
    this.shown = true;
  }

  done(): void {
    if (this.shown) this.out.write('\r\x1b[K');
  }
}

export interface ClassifyStreamOptions {
  json: boolean;
  input: InputKind;
  sourcetype?: string;
}

/** Classifies the files one after another, streaming: output is written as events are read. */
export async function classifyFiles(matcher: Matcher, policy: Policy, files: string[], moduleId: string | null, opts: ClassifyStreamOptions): Promise<void> {
  const { applyPolicy } = await import('../../../pipeline/filter/index.ts');
  const out = new Out();
  const table = new TableRenderer();
  const json = new JsonRows();
  let total = 0;
  for (const f of files) {
    if (f === '-') continue;
    try {
      total += statSync(f).size;
    } catch {
      // reported when it is opened
    }
  }
  const progress = new Progress(total);
  let n = 0;
  let bytes = 0;
  for (const file of files) {
    const name = file === '-' ? '(stdin)' : file;
    const reader = new EventReader(name, n, opts.input, opts.sourcetype);
    const stream = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 1 << 16 });
    stream.setEncoding('utf8');
    const emit = async (events: InputEvent[]) => {
      for (const ev of events) {
        const r = classifyOne(matcher, policy, ev, moduleId, applyPolicy);
        if (opts.json) json.rows(r, out);
        else out.text(table.block(r));
        if (out.full) await out.room();
        if (out.closed) return;
      }
      progress.tick(reader.count, bytes);
    };
    try {
      for await (const chunk of stream as AsyncIterable<string>) {
        bytes += Buffer.byteLength(chunk);
        await emit(reader.push(chunk));
        if (out.closed) break;
      }
    } catch (err) {
      if (isSimError(err) || typeof (err as NodeJS.ErrnoException).code !== 'string') throw err;
      throw new SimError('SIM_ERR_USAGE', { detail: `${name}: cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
    }
    if (out.closed) break;
    await emit(reader.end());
    n = reader.count;
  }
  progress.done();
  if (!opts.json && !out.closed) out.text(table.summary());
  await out.end();
}

/** `--setting qualysConfigured=off` → { qualysConfigured: false }; exit 2 for an unknown setting or value. */
function settingArgs(args: string[], { isSettingId, SETTING_IDS }: typeof import('../../../pipeline/policy/settings.ts')): Partial<Record<TenantSettingId, boolean>> {
  const out: Partial<Record<TenantSettingId, boolean>> = {};
  for (const a of args) {
    const m = /^([A-Za-z0-9]+)=(on|off|true|false)$/.exec(a.trim());
    if (!m) throw new SimError('SIM_ERR_USAGE', { detail: `--setting: '${a}' is not <name>=on|off (settings: ${SETTING_IDS.join(', ')})` });
    if (!isSettingId(m[1])) throw new SimError('SIM_ERR_USAGE', { detail: `--setting: no tenant setting '${m[1]}' (settings: ${SETTING_IDS.join(', ')})` });
    out[m[1]] = m[2] === 'on' || m[2] === 'true';
  }
  return out;
}

export function register(program: Command): void {
  program
    .command('classify')
    .description('Classify every field of NDJSON events, HEC batches or plain text log lines against the data collection notice (offline).')
    .argument('<file...>', "input files; '-' reads standard input")
    .option('-m, --module <id|name>', "the events' module: its id or exact notice name (default: from each envelope's sourcetype)")
    .option('--json', 'one JSON line per field instead of a table')
    .addOption(new Option('--input <kind>', 'json: NDJSON/HEC batches; text: one raw event per line; auto: by the first character').choices(['auto', 'json', 'text']).default('auto'))
    .option('--sourcetype <st>', 'the sourcetype of events that carry none (text lines, bare objects): picks the module and the text parser tried first')
    .addOption(new Option('--undeclared <policy>', 'what happens to fields no item covers').choices(['keep', 'flag', 'drop']).default('flag'))
    .option('--disable <module>', 'turn off the data upload permission of a module (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--setting <name=on|off>', 'a tenant setting of the data-source page, e.g. qualysConfigured=off (repeatable; docs/permissions.md)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .addOption(new Option('--secrets <policy>', 'what is stored of secret values').choices(['keep', 'redact', 'drop']).default('keep'))
    .action(async (files: string[], opts: { module?: string; json?: boolean; input: InputKind; sourcetype?: string; undeclared: UndeclaredPolicy; disable: string[]; setting: string[]; secrets: SecretsPolicy }) => {
      const [{ getDefaultMatcher }, { compilePolicy, isPolicyError }, { describeCandidates, lookupModule }, settings] = await Promise.all([
        import('../../../pipeline/classify/index.ts'),
        import('../../../pipeline/filter/index.ts'),
        import('../../../pipeline/policy/names.ts'),
        import('../../../pipeline/policy/settings.ts'),
      ]);
      const matcher = getDefaultMatcher();
      let moduleId: string | null = null;
      if (opts.module !== undefined) {
        const r = lookupModule(matcher.modules, opts.module);
        if (r.kind === 'many') throw new SimError('SIM_ERR_USAGE', { detail: `--module: '${opts.module}' names ${r.candidates.length} modules: ${describeCandidates(r.candidates)}; use one of these ids` });
        if (r.kind === 'none') throw new SimError('SIM_ERR_USAGE', { detail: `--module: no module '${opts.module}' in the catalog (give its id, e.g. splunk-network-firewall-web-gateway-logs, or its exact notice name)` });
        moduleId = r.module.id;
      }
      let policy: Policy;
      try {
        policy = compilePolicy(matcher, {
          uploadPermission: Object.fromEntries(opts.disable.map((d) => [d, false])), undeclared: opts.undeclared, settings: settingArgs(opts.setting, settings), secrets: opts.secrets,
        });
      } catch (err) {
        if (isPolicyError(err)) throw new SimError('SIM_ERR_USAGE', { detail: `--disable: ${err.detail ?? err.message}` });
        throw err;
      }
      for (const w of policy.warnings) process.stderr.write(`ingestor-sim classify: warning: --disable: ${w}\n`);
      await classifyFiles(matcher, policy, files, moduleId, { json: opts.json === true, input: opts.input, sourcetype: opts.sourcetype });
    });
}
