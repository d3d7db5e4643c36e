import { isSimError } from '../errors/sim-error.ts';
import type { StoreCondition } from './types.ts';

/** Error codes of a write that failed for want of space: the file system's, and SQLite's. */
const NO_SPACE = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

/** True when `err` says the disk (or the user's quota) is full. */
export function isDiskFull(err: unknown): boolean {
  if (isSimError(err)) return err.code === 'SIM_ERR_STORE_DISK_FULL';
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NO_SPACE.has(code);
}

/**
 * A store's condition: 'disk-full' from the first write that failed for want of space until the next one that
 * succeeds. Each change of state (not each request) is told to the listeners: the service logs one line then.
 */
export class ConditionTracker {
  private state: StoreCondition['state'] = 'ok';
  private since = Date.now();
  private detail: string | null = null;
  private readonly listeners: Array<(c: StoreCondition) => void> = [];

  constructor(private readonly extra: () => Pick<StoreCondition, 'recovery' | 'unreadable' | 'paths'>) {}

  get(): StoreCondition {
    return { state: this.state, since: this.since, detail: this.detail, ...this.extra() };
  }

  watch(listener: (c: StoreCondition) => void): void {
    this.listeners.push(listener);
  }

  /** A write succeeded. */
  ok(): void {
    if (this.state !== 'ok') this.set('ok', null);
  }

  /** A write failed: the store is degraded when it was for want of space. */
  failed(err: unknown): void {
    if (isDiskFull(err) && this.state !== 'disk-full') this.set('disk-full', (err as Error).message);
  }

  private set(state: StoreCondition['state'], detail: string | null): void {
    this.state = state;
    this.since = Date.now();
    this.detail = detail;
    const c = this.get();
    for (const l of this.listeners) l(c);
  }
}
