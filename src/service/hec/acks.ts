import { SimError } from '../../errors/sim-error.ts';

/** What the fault model says of one committed request's ack (src/service/faults: a region's `ack` faults). */
export interface AckFate {
  /** Indexing delay: the ack reads true only this many ms after the commit. */
  delayMs: number;
  /** The ack is lost: it never reads true (the client's "never acknowledged" path). */
  lost: boolean;
}

const ON_TIME: AckFate = Object.freeze({ delayMs: 0, lost: false });

interface Channel {
  /** The token (lower case) that opened the channel: only it can read or extend the channel. */
  owner: string;
  next: number;
  /** Ids allocated and not yet read as true (committed or not): bounded by maxPendingPerChannel. */
  outstanding: number;
  /** Committed ids → the time (ms) from which they read true. Lost ids are not here and stay outstanding until swept. */
  committed: Map<number, number>;
  lastUsed: number;
}

export interface AckLimits {
  /** All channels of all tokens (Splunk: max_number_of_ack_channel). */
  maxChannels: number;
  /** Channels one token may hold: a fair share of maxChannels, so one token never exhausts the others' channels. */
  maxChannelsPerToken: number;
  /** Acks allocated and not yet read as true in one channel (Splunk: max_number_of_acked_requests_pending_query_per_ack_channel). */
  maxPendingPerChannel: number;
  /** Idle channels are forgotten after this (Splunk: maxIdleTime 600 s). */
  idleMs: number;
}

export type AckHealth = 'ok' | 'approaching' | 'exhausted';

/**
 * Indexer acknowledgment, isolated per token: a channel belongs to the token that opened it (its tenant with
 * it), so another token that polls or sends on the same channel id sees a different, empty channel (its ids
 * read false, as Splunk answers for an unknown channel). Ids are numbered per channel from 0, one per request;
 * an id reads true once its events are committed and its indexing delay (fault model) has passed, exactly once,
 * then false; a lost ack never reads true.
 *
 * Limits: channels per token (past them: that token alone gets 503 code 9), outstanding acks per channel
 * (429 code 27), all channels (503 code 9; unreachable by one token because its share is smaller).
 */
export class AckRegistry {
  private readonly channels = new Map<string, Channel>();
  /** Token → number of channels it holds. */
  private readonly perToken = new Map<string, number>();
  private readonly limits: AckLimits;
  /** Decides each committed ack's delay and loss for a region (set by buildApp from the fault registry). */
  fate: (region: string) => AckFate = () => ON_TIME;

  constructor(limits: AckLimits) {
    this.limits = { ...limits };
  }

  get size(): number {
    return this.channels.size;
  }

  /** Channels held by a token. */
  channelsOf(token: string): number {
    return this.perToken.get(token.toLowerCase()) ?? 0;
  }

  private key(token: string, channelId: string): string {
    return `${token.toLowerCase()} ${channelId.toLowerCase()}`;
  }

  private open(token: string, channelId: string, now: number): Channel {
    const key = this.key(token, channelId);
    let ch = this.channels.get(key);
    if (!ch) {
      const owner = token.toLowerCase();
      const held = this.perToken.get(owner) ?? 0;
      if (held >= this.limits.maxChannelsPerToken) {
        throw new SimError('SIM_ERR_HEC_ACK_TOKEN_CHANNELS_FULL', {
          detail: `this token holds ${held} ack channels, its limit (limits.maxAckChannelsPerToken, at most its share of limits.maxAckChannels); reuse a channel or wait ${Math.round(this.limits.idleMs / 1000)} s for idle ones to be forgotten`,
        });
      }
      if (this.channels.size >= this.limits.maxChannels) {
        throw new SimError('SIM_ERR_HEC_ACK_CHANNELS_FULL', { detail: `${this.channels.size} ack channels are open; the limit is ${this.limits.maxChannels} (limits.maxAckChannels)` });
      }
      ch = { owner, next: 0, outstanding: 0, committed: new Map(), lastUsed: now };
      this.channels.set(key, ch);
      this.perToken.set(owner, held + 1);
    }
    ch.lastUsed = now;
    return ch;
  }

  /** Reserves the next ack id of the token's channel (before the store write). */
  allocate(token: string, channelId: string, now = Date.now()): number {
    const ch = this.open(token, channelId, now);
    if (ch.outstanding >= this.limits.maxPendingPerChannel) {
      throw new SimError('SIM_ERR_HEC_ACK_CHANNEL_PENDING_FULL', {
        detail: `${ch.outstanding} acks of this channel are not yet read as true (limits.maxPendingAcksPerChannel); poll /services/collector/ack`,
      });
    }
    ch.outstanding++;
    return ch.next++;
  }

  /** Marks an id committed (after the store's commit); `region` picks the fault model's delay and loss. */
  commit(token: string, channelId: string, ackId: number, region?: string, now = Date.now()): AckFate {
    const ch = this.channels.get(this.key(token, channelId));
    if (!ch) return ON_TIME;
    const f = region === undefined ? ON_TIME : this.fate(region);
    if (!f.lost) ch.committed.set(ackId, now + f.delayMs);
    return f;
  }

  /** Gives back an id whose request failed (no commit): it never reads true and no longer counts as outstanding. */
  release(token: string, channelId: string, ackId: number): void {
    const ch = this.channels.get(this.key(token, channelId));
    if (ch && !ch.committed.has(ackId) && ch.outstanding > 0) ch.outstanding--;
  }

  /** Answers a poll of the token's channel; committed ids whose delay has passed read true once. */
  query(token: string, channelId: string, ids: readonly number[], now = Date.now()): Record<string, boolean> {
    const ch = this.channels.get(this.key(token, channelId));
    const out: Record<string, boolean> = {};
    if (ch) ch.lastUsed = now;
    for (const id of ids) {
      const readyAt = ch?.committed.get(id);
      const done = readyAt !== undefined && readyAt <= now;
      if (done) {
        ch!.committed.delete(id);
        ch!.outstanding--;
      }
      out[String(id)] = done;
    }
    return out;
  }

  /**
   * Ack service health for GET /health: `exhausted` when no channel can be opened (all channels, or with a
   * token: that token's share), `approaching` when some token holds all of its share or 80% of all channels are open.
   */
  health(token?: string): AckHealth {
    if (this.channels.size >= this.limits.maxChannels) return 'exhausted';
    if (token !== undefined && this.channelsOf(token) >= this.limits.maxChannelsPerToken) return 'exhausted';
    if (this.channels.size >= 0.8 * this.limits.maxChannels) return 'approaching';
    for (const n of this.perToken.values()) if (n >= this.limits.maxChannelsPerToken) return 'approaching';
    return 'ok';
  }

  /** Forgets channels idle longer than the idle time (Splunk: ackIdleCleanup, maxIdleTime 600 s). */
  sweep(now = Date.now()): number {
    let n = 0;
    for (const [k, ch] of this.channels) {
      if (now - ch.lastUsed > this.limits.idleMs) {
        this.channels.delete(k);
        const left = (this.perToken.get(ch.owner) ?? 1) - 1;
        if (left > 0) this.perToken.set(ch.owner, left);
        else this.perToken.delete(ch.owner);
        n++;
      }
    }
    return n;
  }
}

/** The per-token channel limit in force: the configured one, at most an equal share of all channels among the tokens that use acks. */
export function channelsPerToken(maxChannels: number, ackTokens: number, configured?: number): number {
  const share = Math.max(1, Math.floor(maxChannels / Math.max(1, ackTokens)));
  return Math.min(share, configured ?? share);
}
