import { isSimError, SimError } from '../errors/sim-error.ts';
import { isDiskFull } from './condition.ts';
import type { Committed } from './types.ts';

interface Pending {
  /** Events counted in the queue's depth (0 until known: a producer thread's batch is counted when it says how big). */
  events: number;
  resolve: (c: Committed) => void;
  reject: (e: unknown) => void;
  promise: Promise<Committed>;
  /** settle was called: someone waits for the promise. */
  asked: boolean;
}

/**
 * A store's requests from admission to commit: each gets a number (`admit`), and a promise its commit settles
 * (`commit`/`fail`, by that number). It bounds what waits: past `maxQueuedEvents` events not yet committed,
 * admit throws SIM_ERR_HEC_BUSY (HEC 503 code 9); a single request bigger than the bound is still taken when
 * nothing waits, so it cannot be refused forever. Grouping commits is the writer's (store-writer.ts), not this.
 */
export class CommitTracker {
  private readonly pending = new Map<number, Pending>();
  /** Requests settled before anyone asked (a producer thread's batch can be committed before its reply arrives). */
  private readonly early = new Map<number, Promise<Committed>>();
  private nextSeq = 0;
  private depth = 0;
  private closed = false;
  private idle: Array<() => void> = [];

  constructor(readonly region: string, private readonly maxQueuedEvents: number) {}

  /** Events accepted but not yet committed. */
  queueDepth(): number {
    return this.depth;
  }

  isFull(): boolean {
    return this.depth >= this.maxQueuedEvents;
  }

  /** Requests admitted and not yet settled. */
  get waiting(): number {
    return this.pending.size;
  }

  /**
   * A request's number, for a batch of `events` (undefined: not known yet, a producer thread's). Throws
   * SIM_ERR_HEC_SHUTTING_DOWN after close, SIM_ERR_HEC_BUSY when the bound is reached.
   */
  admit(events?: number): number {
    if (this.closed) throw new SimError('SIM_ERR_HEC_SHUTTING_DOWN');
    const d = this.depth;
    // with its size: refused when it would pass the bound; a producer thread's (size not known yet): when full
    const over = events === undefined ? d >= this.maxQueuedEvents : d + events > this.maxQueuedEvents;
    if (d > 0 && over) {
      throw new SimError('SIM_ERR_HEC_BUSY', {
        detail: `region '${this.region}' has ${d} events waiting to be committed; the bound is ${this.maxQueuedEvents} (store.maxQueuedEvents)`,
      });
    }
    const seq = ++this.nextSeq;
    let resolve!: (c: Committed) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<Committed>((res, rej) => { resolve = res; reject = rej; });
    this.pending.set(seq, { events: 0, resolve, reject, promise, asked: false });
    if (events !== undefined) this.count(seq, events);
    return seq;
  }

  /**
   * The commit of request `seq`, whose batch holds `events` events (counted in the depth until it is
   * committed). A request with no events is settled at once (nothing was sent).
   */
  settle(seq: number, events: number): Promise<Committed> {
    const done = this.early.get(seq);
    if (done !== undefined) {
      this.early.delete(seq);
      return done;
    }
    const p = this.pending.get(seq);
    if (p === undefined) return Promise.reject(new Error(`request ${seq} of the store of region '${this.region}' is not waiting`));
    p.asked = true;
    if (events === 0) this.commit(seq, { seq, firstEvent: 0, events: 0 });
    else this.count(seq, events);
    return p.promise;
  }

  /** A request that will send nothing after all (its producer failed): forgotten. */
  abandon(seq: number): void {
    this.early.delete(seq);
    const p = this.pending.get(seq);
    if (p === undefined) return;
    p.promise.catch(() => {});
    p.asked = true; // nobody will ask
    this.finish(seq, p);
  }

  /** Request `seq` is committed. */
  commit(seq: number, c: Committed): void {
    const p = this.pending.get(seq);
    if (p === undefined) return;
    this.finish(seq, p);
    p.resolve(c);
  }

  /** Request `seq` failed: its promise rejects with the error as HEC answers it (a full disk is 503 code 9). */
  fail(seq: number, err: unknown): void {
    const p = this.pending.get(seq);
    if (p === undefined) return;
    this.finish(seq, p);
    p.reject(this.commitError(err));
  }

  /** Fails every request waiting (the writer died). */
  failAll(err: unknown): void {
    for (const seq of [...this.pending.keys()]) this.fail(seq, err);
  }

  /** No request is admitted after this; resolves once every admitted one is settled. */
  close(): Promise<void> {
    this.closed = true;
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private count(seq: number, events: number): void {
    const p = this.pending.get(seq)!;
    this.depth += events - p.events;
    p.events = events;
  }

  private finish(seq: number, p: Pending): void {
    this.pending.delete(seq);
    if (!p.asked) {
      p.promise.catch(() => {}); // its asker attaches its own handler
      this.early.set(seq, p.promise);
    }
    this.depth -= p.events;
    if (this.pending.size === 0) for (const w of this.idle.splice(0)) w();
  }

  private commitError(err: unknown): SimError {
    if (isSimError(err)) return err;
    if (isDiskFull(err)) {
      return new SimError('SIM_ERR_STORE_DISK_FULL', { detail: `store of region '${this.region}': ${(err as Error).message}`, cause: err });
    }
    return new SimError('SIM_ERR_HEC_INTERNAL', { detail: `store of region '${this.region}' failed to commit: ${(err as Error).message}`, cause: err });
  }
}
