import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/service/app.ts';
import { buildConfig, DEV_ADMIN_TOKEN, devTokenFor } from '../../src/config/config.ts';
import { loadRegions, servedRegions } from '../../src/service/region/regions.ts';
import type { LoadReport } from '../../src/tools/report/types.ts';
import { runCli } from '../helpers/cli.ts';

const cli = runCli;

const regions = servedRegions(loadRegions());
const tokenOf = (id: string) => devTokenFor(regions.findIndex((r) => r.id === id));
let app: FastifyInstance;
let url: string;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'load-emulator-'));
  app = buildApp(buildConfig(null, { dataDir, logLevel: 'silent' }), { logger: false, defaultMetrics: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await app?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function stats(): Promise<{ totals: { events: number }; regions: Record<string, { events: number }> }> {
  const r = await fetch(`${url}/admin/v1/stats`, { headers: { authorization: `Bearer ${DEV_ADMIN_TOKEN}` } });
  expect(r.status).toBe(200);
  return await r.json() as never;
}

describe('ingestor-sim load against the emulator (buildApp, SQLite store)', () => {
  it('what the report says was accepted is what the emulator stored, per region via the Host header', async () => {
    const json = join(dataDir, 'eu.json');
    const r = await cli(['load', '--target', url, '--region', 'eu', '--token', tokenOf('eu'), '--events', '1500', '--batch', '100',
      '--profile', 'mixed', '--connections', '2', '--json', json]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as LoadReport;
    expect(report.requestsOk).toBe(15);
    expect(report.events).toBe(1500);
    expect(report.hecCodes).toEqual({ 0: 15 });
    let s = await stats();
    for (let i = 0; i < 40 && s.regions.eu.events < report.events; i++) {
      await new Promise((res) => setTimeout(res, 50));
      s = await stats();
    }
    expect(s.regions.eu.events).toBe(report.events);
    expect(s.regions.us.events).toBe(0);
  });

  it('a token of another region is refused by the emulator and counted by status and HEC code', async () => {
    const r = await cli(['load', '--target', url, '--region', 'jp', '--token', tokenOf('us'), '--events', '200', '--json', join(dataDir, 'jp.json')]);
    expect(r.code).toBe(1);
    const report = JSON.parse(readFileSync(join(dataDir, 'jp.json'), 'utf8')) as LoadReport;
    expect(report.requests).toBe(2);
    expect(report.requestsOk).toBe(0);
    expect(Object.keys(report.errorsByStatus).length).toBeGreaterThan(0);
    expect(Object.keys(report.errorsByHecCode).length).toBeGreaterThan(0);
    expect((await stats()).regions.jp.events).toBe(0);
  });
});
