/**
 * Indexer acknowledgment over real sockets: acks per token (a channel belongs to the token that opened it),
 * limits per token and per channel, health degraded when channels run out, and acks that take time or get
 * lost (the region's fault model, set through the admin fault API).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, call, start, splunk, T, testConfigFile, US, type Started } from '../helpers/service.ts';

const T_BETA_ACK = '88888888-8888-4888-8888-888888888888';
const C1 = 'c1c1c1c1-0000-4000-8000-000000000001';
const C2 = 'c2c2c2c2-0000-4000-8000-000000000002';
const C3 = 'c3c3c3c3-0000-4000-8000-000000000003';
const adminH = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

const file = (limits: Record<string, number> = {}) => {
  const f = testConfigFile({ limits });
  f.tokens.push({ token: T_BETA_ACK, tenant: 'beta', region: 'us', useAck: true });
  return f;
};
const send = (s: Started, token: string, channel: string, body = '{"event":"x"}', host = US) =>
  call(s.url, 'POST', '/services/collector/event', { host, headers: { ...splunk(token), 'x-splunk-request-channel': channel }, body });
const poll = (s: Started, token: string, channel: string, acks: number[]) =>
  call(s.url, 'POST', `/services/collector/ack?channel=${channel}`, { host: US, headers: splunk(token), body: JSON.stringify({ acks }) });
const health = (s: Started, q = '') => call(s.url, 'GET', `/services/collector/health${q}`, { host: US });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('acks are per token and tenant', () => {
  let s: Started;
  beforeAll(async () => { s = await start(file()); });
  afterAll(async () => { await s.close(); });

  it("another tenant's token polling your channel reads false and consumes nothing", async () => {
    const r = await send(s, T.ack, C1);
    expect(r.json).toEqual({ text: 'Success', code: 0, ackId: 0 });
    expect((await poll(s, T_BETA_ACK, C1, [0])).json).toEqual({ acks: { 0: false } });
    // the other token's requests on the same channel id number their own acks
    expect((await send(s, T_BETA_ACK, C1)).json.ackId).toBe(0);
    expect((await poll(s, T.ack, C1, [0])).json).toEqual({ acks: { 0: true } });
    expect((await poll(s, T_BETA_ACK, C1, [0])).json).toEqual({ acks: { 0: true } });
    expect((await poll(s, T.ack, C1, [0])).json).toEqual({ acks: { 0: false } });
  });

  it("a token without acks polling is 400 code 14, whoever's channel it names", async () => {
    const r = await poll(s, T.us, C1, [0]);
    expect([r.status, r.json.code]).toEqual([400, 14]);
  });
});

describe('ack limits per token and per channel; health', () => {
  let s: Started;
  // 4 channels in all, 2 tokens with acks: each may hold 2
  beforeAll(async () => { s = await start(file({ maxAckChannels: 4, maxPendingAcksPerChannel: 3 })); });
  afterAll(async () => { await s.close(); });

  it("one token filling its channels gets 503 code 9; the other tenant still opens channels; health degrades", async () => {
    expect((await health(s)).json).toEqual({ text: 'HEC is healthy', code: 17 });
    expect((await send(s, T.ack, C1)).status).toBe(200);
    expect((await send(s, T.ack, C2)).status).toBe(200);
    const third = await send(s, T.ack, C3);
    expect([third.status, third.json.text, third.json.code, third.headers['x-sim-error']]).toEqual([503, 'Server is busy', 9, 'SIM_ERR_HEC_ACK_TOKEN_CHANNELS_FULL']);
    // an open channel of the same token still works
    expect((await send(s, T.ack, C1)).json.ackId).toBe(1);
    // the whole service: degraded, not down (200 code 25); that token's health: ack service unavailable
    expect(await health(s).then((r) => [r.status, r.json])).toEqual([200, { text: 'HEC ACK is approaching its capacity limit', code: 25 }]);
    const mine = await health(s, `?token=${T.ack}`);
    expect([mine.status, mine.json.code, mine.json.text]).toEqual([503, 19, 'HEC is unhealthy, ack service unavailable']);
    // the other tenant is not refused
    expect((await send(s, T_BETA_ACK, C3)).json).toEqual({ text: 'Success', code: 0, ackId: 0 });
    expect((await send(s, T_BETA_ACK, C1)).status).toBe(200);
    // now every channel is open: the service's ack side is unavailable
    const all = await health(s);
    expect([all.status, all.json.code]).toEqual([503, 19]);
  });

  it('a channel with too many acks not yet read gets 429 code 27 until they are polled', async () => {
    // C1 of T.ack has ids 0 and 1 outstanding (read none yet): one more, then full
    expect((await send(s, T.ack, C1)).json.ackId).toBe(2);
    const full = await send(s, T.ack, C1);
    expect([full.status, full.json]).toEqual([429, expect.objectContaining({ text: 'HEC ACK channel is at capacity and cannot process any more requests', code: 27 })]);
    expect((await poll(s, T.ack, C1, [0, 1, 2])).json).toEqual({ acks: { 0: true, 1: true, 2: true } });
    expect((await send(s, T.ack, C1)).json.ackId).toBe(3);
  });
});

describe('acks that take time or get lost (fault model, admin fault API)', () => {
  let s: Started;
  beforeAll(async () => { s = await start(file()); });
  afterAll(async () => { await s.close(); });
  afterEach(async () => { await call(s.url, 'DELETE', '/admin/v1/regions/us/faults', { headers: adminH }); });
  const putFaults = (doc: unknown) => call(s.url, 'PUT', '/admin/v1/regions/us/faults', { headers: adminH, body: JSON.stringify(doc) });

  it('an indexing delay: the ack reads false until the delay has passed, then true once', async () => {
    const put = await putFaults({ ack: { delay: { kind: 'fixed', ms: 400 } } });
    expect(put.status).toBe(200);
    const t0 = Date.now();
    const { ackId } = (await send(s, T.ack, C2)).json;
    expect((await poll(s, T.ack, C2, [ackId])).json.acks[ackId]).toBe(false);
    let readTrueAt = 0;
    while (Date.now() - t0 < 5000) {
      if ((await poll(s, T.ack, C2, [ackId])).json.acks[ackId]) { readTrueAt = Date.now(); break; }
      await sleep(25);
    }
    expect(readTrueAt - t0).toBeGreaterThanOrEqual(400);
    expect((await poll(s, T.ack, C2, [ackId])).json.acks[ackId]).toBe(false);
    const view = await call(s.url, 'GET', '/admin/v1/regions/us/faults', { headers: adminH });
    expect(view.json.acks).toMatchObject({ decided: 1, delayed: 1, lost: 0 });
    // the events themselves are stored at once (only the ack waits)
  });

  it('ack loss: a lost ack never reads true; the data is still stored', async () => {
    await putFaults({ ack: { lossRate: 1 } });
    const before = (await call(s.url, 'GET', '/admin/v1/stats', { headers: adminH })).json.regions.us.events;
    const { ackId } = (await send(s, T.ack, C3, '{"event":"lost-ack"}')).json;
    await sleep(150);
    expect((await poll(s, T.ack, C3, [ackId])).json.acks[ackId]).toBe(false);
    expect((await call(s.url, 'GET', '/admin/v1/stats', { headers: adminH })).json.regions.us.events).toBe(before + 1);
    expect((await call(s.url, 'GET', '/admin/v1/regions/us/faults', { headers: adminH })).json.acks).toMatchObject({ lost: 1 });
  });

  it('a seeded distribution with partial loss is repeatable; bad documents are refused with the path', async () => {
    const bad = await putFaults({ ack: { delay: { kind: 'uniform', minMs: 50, maxMs: 10 } } });
    expect([bad.status, bad.json.problems]).toEqual([400, ['/ack/delay: minMs (50) is larger than maxMs (10)']]);
    const bad2 = await putFaults({ ack: { lossRate: 2 } });
    expect(bad2.json.problems.join()).toContain('/ack/lossRate');
    const run = async () => {
      await putFaults({ ack: { delay: { kind: 'uniform', minMs: 0, maxMs: 30 }, lossRate: 0.5 }, seed: 7 });
      for (let i = 0; i < 20; i++) await send(s, T.ack, C1);
      return (await call(s.url, 'GET', '/admin/v1/regions/us/faults', { headers: adminH })).json.acks;
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    expect(a.decided).toBe(20);
    expect(a.lost).toBeGreaterThan(0);
    expect(a.lost).toBeLessThan(20);
  });

  it('ack faults in the config file are in force at startup', async () => {
    const f = file();
    (f as { faults?: unknown }).faults = { us: { ack: { delay: { kind: 'normal', meanMs: 300, stddevMs: 0 } } } };
    const s2 = await start(f);
    try {
      const { ackId } = (await send(s2, T.ack, C1)).json;
      expect((await poll(s2, T.ack, C1, [ackId])).json.acks[ackId]).toBe(false);
      await sleep(350);
      expect((await poll(s2, T.ack, C1, [ackId])).json.acks[ackId]).toBe(true);
    } finally {
      await s2.close();
    }
  });
});
