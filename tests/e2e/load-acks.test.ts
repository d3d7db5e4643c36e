/** `ingestor-sim load --ack` against the emulator: ack latency from request to ack true, with the region's indexing delay and ack loss. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/service/app.ts';
import { buildConfig } from '../../src/config/config.ts';
import { validateAgainst } from '../../src/config/schema.ts';
import type { LoadReport } from '../../src/tools/report/types.ts';
import { runCli } from '../helpers/cli.ts';

const TOKEN = '5a5a5a5a-1111-4222-8333-444455556666';
const ADMIN = 'load-acks-admin';
let app: FastifyInstance;
let url: string;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'load-acks-'));
  const cfg = buildConfig({
    adminToken: ADMIN, tenants: [{ id: 'acme' }], tokens: [{ token: TOKEN, tenant: 'acme', region: 'us', useAck: true }],
    faults: { us: { ack: { delay: { kind: 'fixed', ms: 200 } } } },
  }, { dataDir: dir, logLevel: 'silent', ingestWorkers: 2 }); // the ingest threads' path: acks are committed in the event loop after their batch
  app = buildApp(cfg, { logger: false, defaultMetrics: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('load --ack', () => {
  it('reports every request acknowledged, no sooner than the indexing delay', async () => {
    const json = join(dir, 'acks.json');
    const r = await runCli(['load', '--target', url, '--token', TOKEN, '--ack', '--ack-poll', '20ms', '--events', '600', '--batch', '50', '--connections', '2', '--json', json]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = validateAgainst<LoadReport>('load-report', JSON.parse(readFileSync(json, 'utf8')), 'report');
    expect(report.requestsOk).toBe(12);
    expect(report.acks).toMatchObject({ requested: 12, acked: 12, pending: 0, pollErrors: 0 });
    expect(report.acks!.latencyMs.min).toBeGreaterThanOrEqual(200);
    expect(report.acks!.latencyMs.min).toBeGreaterThanOrEqual(report.latencyMs.min);
    expect(r.stdout).toMatch(/acks {10}12 of 12 read true, 0 never/);
    expect(r.stdout).toMatch(/ack latency +p50 /);
  }, 60_000);

  it('lost acks are reported as never acknowledged after the wait', async () => {
    const put = await fetch(`${url}/admin/v1/regions/us/faults`, {
      method: 'PUT', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ ack: { lossRate: 1 } }),
    });
    expect(put.status).toBe(200);
    const json = join(dir, 'lost.json');
    const r = await runCli(['load', '--target', url, '--token', TOKEN, '--ack', '--ack-poll', '20ms', '--ack-wait', '300ms', '--events', '200', '--batch', '50', '--connections', '1', '--json', json]);
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as LoadReport;
    expect(report.acks).toMatchObject({ requested: 4, acked: 0, pending: 4 });
    expect(r.stdout).toMatch(/0 of 4 read true, 4 never/);
  }, 60_000);

  it('a bad --channel is a usage error', async () => {
    const r = await runCli(['load', '--target', url, '--token', TOKEN, '--ack', '--channel', 'nope', '--events', '10']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--channel: 'nope' is not a GUID/);
  });
});
