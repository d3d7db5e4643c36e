import { SimError } from '../errors/sim-error.ts';

interface Channel {
  next: number;
  /** Ids committed and not yet read as true. */
  committed: Set<number>;
  lastUsed: number;
}

/**
 * Indexer acknowledgment: ids numbered per channel from 0, one per request; an id reads true once its
 * events are committed, exactly once, then false (as do unknown ids and ids of other channels).
 */
export class AckRegistry {
  private readonly channels = new Map<string, Channel>();

  constructor(private readonly maxChannels: number, private readonly idleMs: number) {}

  get size(): number {
    return this.channels.size;
  }

  private channel(id: string, now: number): Channel {
    const key = id.toLowerCase();
    let ch = this.channels.get(key);
    if (!ch) {
      if (this.channels.size >= this.maxChannels) {
        throw new SimError('SIM_ERR_HEC_ACK_CHANNELS_FULL', { detail: `${this.channels.size} ack channels are open; the limit is ${this.maxChannels} (limits.maxAckChannels)` });
      }
      ch = { next: 0, committed: new Set(), lastUsed: now };
      this.channels.set(key, ch);
    }
    ch.lastUsed = now;
    return ch;
  }

  /** Reserves the next ack id of a channel (before the store write). */
  allocate(channelId: string, now = Date.now()): number {
    const ch = this.channel(channelId, now);
    return ch.next++;
  }

  /** Marks an id committed (after the store's commit). */
  commit(channelId: string, ackId: number): void {
    this.channels.get(channelId.toLowerCase())?.committed.add(ackId);
  }

  /** Answers a poll; committed ids read true once. */
  query(channelId: string, ids: readonly number[], now = Date.now()): Record<string, boolean> {
    const ch = this.channels.get(channelId.toLowerCase());
    const out: Record<string, boolean> = {};
    if (ch) ch.lastUsed = now;
    for (const id of ids) {
      const done = ch !== undefined && ch.committed.delete(id);
      out[String(id)] = done;
    }
    return out;
  }

  /** Forgets channels idle longer than the idle time (Splunk: ackIdleCleanup, maxIdleTime 600 s). */
  sweep(now = Date.now()): number {
    let n = 0;
    for (const [k, ch] of this.channels) {
      if (now - ch.lastUsed > this.idleMs) {
        this.channels.delete(k);
        n++;
      }
    }
    return n;
  }
}
