import { randomUUID } from 'node:crypto';
import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/config.ts';
import { readJsonFile } from '../../src/config/schema.ts';
import { openStores } from '../../src/store/index.ts';
import { ACK_TOKEN, configFile, HEC_TOKEN, removeDir, startServe, tempDir, type ServeProcess } from '../helpers/serve-process.ts';

/**
 * Acked ⇒ durable (issue 13): `serve` under load is killed with SIGKILL, restarted on the same data folder (as
 * soon as the dead process is reaped), loaded and killed again; at the end every event of every request that was
 * answered 200 (with an ackId for the ack token, whose ack then reads true) must be in the store, exactly once.
 * Requests cut by the kill got no answer: their events may or may not be stored (a client resends them).
 * Bounded: two kills after about 1.5 s of load each. SIM_HEAVY=1: five kills after 4 s each.
 */
const HEAVY = process.env.SIM_HEAVY === '1';
const US = 'ingestor-us.xdr.trendmicro.com';
const CYCLES = HEAVY ? 5 : 2;
const LOAD_MS = HEAVY ? 4000 : 1500;
const CLIENTS = 8;
const BATCH = 20;

const dirs: string[] = [];
const procs: ServeProcess[] = [];
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  for (const d of dirs) removeDir(d);
});

interface Load { acked: string[][]; sent: number; unanswered: number; ackChecked: number }

/** CLIENTS loops posting batches until the kill cuts them; half use the ack token (ackId in the answer, polled once). */
function load(url: string, cycle: number): { out: Load; done: Promise<Load> } {
  const out: Load = { acked: [], sent: 0, unanswered: 0, ackChecked: 0 };
  return { out, done: loadInto(out, url, Date.now() + 120_000, cycle) };
}

async function loadInto(out: Load, url: string, stopAt: number, cycle: number): Promise<Load> {
  const agent = new Agent({ connections: CLIENTS * 2, keepAliveTimeout: 1000, headersTimeout: 30_000, bodyTimeout: 30_000 });
  await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
    const useAck = c % 2 === 1;
    const channel = randomUUID();
    const headers: Record<string, string> = { host: US, authorization: `Splunk ${useAck ? ACK_TOKEN : HEC_TOKEN}`, ...(useAck ? { 'x-splunk-request-channel': channel } : {}) };
    for (let n = 0; Date.now() < stopAt; n++) {
      const ids = Array.from({ length: BATCH }, (_, i) => `k${cycle}-c${c}-r${n}-e${i}`);
      const body = ids.map((id) => JSON.stringify({ event: { id, action: 'allowed', src_port: 443 } })).join('\n');
      out.sent++;
      try {
        const r = await request(`${url}/services/collector/event`, { method: 'POST', dispatcher: agent, headers, body });
        const json = (await r.body.json()) as { code: number; ackId?: number };
        if (r.statusCode === 200 && json.code === 0) {
          if (useAck) {
            expect(json.ackId).toBe(n);
            // the ack of an answered request reads true (it was committed before the answer)
            const a = await request(`${url}/services/collector/ack`, { method: 'POST', dispatcher: agent, headers, body: JSON.stringify({ acks: [json.ackId] }) });
            const acks = ((await a.body.json()) as { acks: Record<string, boolean> }).acks;
            expect(acks[String(json.ackId)]).toBe(true);
            out.ackChecked++;
          }
          out.acked.push(ids);
        } else {
          out.unanswered++;
        }
      } catch {
        out.unanswered++; // the kill cut it
        break;
      }
    }
  }));
  await agent.destroy();
  return out;
}

describe('kill -9 under load', () => {
  it(`loses no acked event over ${CYCLES} kills`, async () => {
    const dir = tempDir('sim-kill9-');
    dirs.push(dir);
    const config = configFile(dir);
    const args = ['--config', config, '--ingest-workers', '1'];
    const acked = new Set<string>();
    const figures: Array<Record<string, number>> = [];
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const s = await startServe(args, dir, 60_000);
      procs.push(s);
      const loading = load(s.url, cycle);
      // load for LOAD_MS once requests are being answered (the first ones wait for the ingest thread to start)
      for (let t = Date.now(); loading.out.acked.length < CLIENTS && Date.now() - t < 60_000;) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, LOAD_MS));
      // SIGKILL while the clients are still sending; wait for the exit (reaped) before the restart
      s.child.kill('SIGKILL');
      const exit = await s.stop('SIGKILL');
      expect(exit.signal).toBe('SIGKILL');
      const l = await loading.done;
      for (const ids of l.acked) for (const id of ids) acked.add(id);
      figures.push({ cycle, requestsSent: l.sent, requestsAcked: l.acked.length, acksPolledTrue: l.ackChecked, cutByKill: l.unanswered });
      expect(l.acked.length).toBeGreaterThan(0);
    }
    // restart once more: recovery; then stop cleanly and read every stored event
    const last = await startServe(args, dir, 60_000);
    procs.push(last);
    const closed = await last.stop('SIGTERM');
    expect({ ...closed, stderr: closed.code === 0 ? '' : last.stderr() }).toEqual({ code: 0, signal: null, stderr: '' });
    const cfg = buildConfig(readJsonFile(config) as never, { dataDir: dir });
    const stores = openStores(['us'], cfg);
    const us = stores.get('us')!;
    const seen = new Map<string, number>();
    try {
      for (const e of us.list({ limit: 10_000_000 })) {
        const id = (e.event as { id?: string }).id;
        if (id !== undefined) seen.set(id, (seen.get(id) ?? 0) + 1);
      }
    } finally {
      await us.close();
    }
    const lost = [...acked].filter((id) => !seen.has(id));
    const twice = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
    console.log(`[reliability] kill -9 ${JSON.stringify({ kills: CYCLES, loadMsEach: LOAD_MS, ackedEvents: acked.size, storedEvents: seen.size, lost: lost.length, duplicated: twice.length, cycles: figures })}`);
    expect(lost.slice(0, 10)).toEqual([]);
    expect(twice.slice(0, 10)).toEqual([]);
  }, HEAVY ? 300_000 : 120_000);
});
