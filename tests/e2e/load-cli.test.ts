import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/tools/cli/index.ts';
import { projectRoot } from '../../src/config/schema.ts';
import type { LoadReport } from '../../src/tools/report/types.ts';
import { startHecServer, type HecServer } from '../helpers/hec-server.ts';
import { runCli } from '../helpers/cli.ts';

const cli = runCli;

/** `script` (bsdutils, an essential Debian package) runs a command on a pseudo-terminal. */
const hasScript = spawnSync('script', ['--version']).status === 0;

const dir = mkdtempSync(join(tmpdir(), 'load-cli-'));
let server: HecServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('ingestor-sim load (spawned CLI against a real server)', () => {
  it('closed model run: exit 0, the summary and the --json figures match what the server counted', async () => {
    server = await startHecServer({ token: 'e2e' });
    const json = join(dir, 'closed.json');
    const html = join(dir, 'closed.html');
    const r = await cli(['load', '--target', server.url, '--token', 'e2e', '--events', '2345', '--batch', '100',
      '--connections', '3', '--profile', 'firewall', '--seed', '5', '--region', 'us', '--json', json, '--html', html]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(server.counts.requests).toBe(24);
    expect(server.counts.events).toBe(2345);
    expect(server.counts.hosts).toEqual({ 'ingestor-us.xdr.trendmicro.com': 24 });
    expect(r.stdout).toContain(`ingestor-sim load: ${server.url}/services/collector/event (Host: ingestor-us.xdr.trendmicro.com)`);
    expect(r.stdout).toContain('closed model, 3 connection(s)');
    expect(r.stdout).toContain('requests      24 (24 ok, 0 failed)');
    expect(r.stdout).toContain('events        2,345 accepted of 2,345 sent');
    expect(r.stdout).toContain('stopped: event count reached');
    expect(r.stdout).not.toContain('\r'); // no progress line when stdout is not a terminal
    const report = JSON.parse(readFileSync(json, 'utf8')) as LoadReport;
    expect(report.requests).toBe(server.counts.requests);
    expect(report.events).toBe(server.counts.events);
    expect(report.bytesSent).toBe(server.counts.bodyBytes);
    expect(report.errors).toBe(0);
    expect(Object.keys(report.latencyMs)).toEqual(expect.arrayContaining(['p50', 'p90', 'p99', 'p999', 'max']));
    expect(report.eventsPerSec).toBeGreaterThan(0);
    expect(report.histogram.length).toBeGreaterThan(10);
    expect(readFileSync(html, 'utf8')).toContain('Latency by percentile');
  });

  it('open model with gzip; then `report merge` of two runs adds them up', async () => {
    server = await startHecServer({ token: 'e2e' });
    const a = join(dir, 'open-a.json');
    const b = join(dir, 'open-b.json');
    const ra = await cli(['load', '--target', server.url, '--token', 'e2e', '--rate', '20/s', '--duration', '1s', '--batch', '50', '--gzip', '--json', a]);
    expect(ra.code).toBe(0);
    expect(ra.stdout).toContain('open model, 20 req/s arrival rate');
    expect(ra.stdout).toMatch(/late starts\s+\d+/);
    const first = server.counts.requests;
    expect(server.counts.gzipRequests).toBe(first);
    expect(first).toBeGreaterThanOrEqual(18);
    expect(first).toBeLessThanOrEqual(20);
    const rb = await cli(['load', '--target', server.url, '--token', 'e2e', '--events', '500', '--batch', '50', '--json', b]);
    expect(rb.code).toBe(0);
    const merged = join(dir, 'merged.json');
    const m = await cli(['report', 'merge', a, b, '--json', merged, '--html', join(dir, 'merged.html')]);
    expect(m.stderr).toBe('');
    expect(m.code).toBe(0);
    expect(m.stdout).toContain('merged from 2 report(s)');
    const mr = JSON.parse(readFileSync(merged, 'utf8')) as LoadReport;
    expect(mr.requests).toBe(server.counts.requests);
    expect(mr.events).toBe(server.counts.events);
    expect(mr.sources?.map((s) => s.file)).toEqual([a, b]);
    expect(existsSync(join(dir, 'merged.html'))).toBe(true);
  });

  it.skipIf(!hasScript)('on a terminal: a live progress line once a second (skipped without `script` from bsdutils)', async () => {
    server = await startHecServer({ token: 'e2e', delayMs: 5 });
    const cmd = `'${process.execPath}' bin/ingestor-sim.js load --target ${server.url} --token e2e --duration 2500ms --connections 2`;
    const r = await new Promise<string>((resolve, reject) => {
      const child = spawn('script', ['-qec', cmd, '/dev/null'], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c) => { out += c; });
      child.on('error', reject);
      child.on('close', () => resolve(out));
    });
    const progress = r.split('\r\x1b[2K').filter((s) => /^\s+\d+ s\s+[\d,]+ req\/s/.test(s));
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress[0]).toMatch(/^\s+1 s\s+[\d,]+ req\/s\s+[\d,]+ events\/s\s+p99\s+[\d.,]+ ms\s+requests [\d,]+\s+errors 0$/);
    expect(r).toContain('stopped: duration reached');
  });

  it('Ctrl-C (SIGINT) stops the run and prints the partial results', async () => {
    server = await startHecServer({ token: 'e2e', delayMs: 5 });
    const json = join(dir, 'sigint.json');
    const srv = server;
    const r = await cli(['load', '--target', server.url, '--token', 'e2e', '--duration', '60s', '--connections', '2', '--json', json], (child) => {
      const poll = setInterval(() => {
        if (srv.counts.requests >= 20) {
          clearInterval(poll);
          child.kill('SIGINT');
        }
      }, 50);
      child.on('close', () => clearInterval(poll));
    });
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('interrupted, finishing requests in flight');
    expect(r.stdout).toContain('stopped: interrupted (partial results)');
    const report = JSON.parse(readFileSync(json, 'utf8')) as LoadReport;
    expect(report.stopReason).toBe('interrupted');
    expect(report.requests).toBe(server.counts.requests);
    expect(report.durationSec).toBeLessThan(30);
  });

  it('a wrong token: every request fails with 403 / HEC 4, exit 1', async () => {
    server = await startHecServer({ token: 'right' });
    const r = await cli(['load', '--target', server.url, '--token', 'wrong', '--events', '300']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('errors        by status: 403×3; by HEC code: 4×3');
    expect(r.stderr).toContain('no request was accepted');
  });

  it('bad input gets a clear usage error (exit 2): spawned', async () => {
    const r = await cli(['load', '--target', 'http://127.0.0.1:9']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('ingestor-sim: --token is required (the HEC token, sent as "Authorization: Splunk <token>")\n');
    const m = await cli(['report', 'merge', join(dir, 'nope.json'), join(dir, 'nope2.json')]);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/nope\.json is invalid:\s+- cannot be read/);
  });

  it('bad input gets a clear usage error (exit 2): every case, in process through main()', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['load', '--token', 't'], /--target is required/],
      [['load', '--token', 't', '--region', 'mea'], /unknown region 'mea' \(regions with an ingestor host: us, eu, jp, sg, anz, in\)/],
      [['load', '--token', 't', '--target', 'localhost:8088'], /target 'localhost:8088'/],
      [['load', '--token', 't', '--target', 'http://127.0.0.1:9', '--profile', 'syslog'], /unknown profile 'syslog'/],
      [['load', '--token', 't', '--target', 'http://127.0.0.1:9', '--duration', 'forever'], /--duration 'forever' is not a duration/],
      [['load', '--token', 't', '--target', 'http://127.0.0.1:9', '--rate', 'fast'], /rate 'fast' is not a rate/],
      [['load', '--token', 't', '--target', 'http://127.0.0.1:9', '--connections', '0'], /--connections must be from 1 to 10000/],
      [['load', '--token', 't', '--target', 'http://127.0.0.1:9', '--ca', join(dir, 'no-ca.pem')], /--ca .*no-ca\.pem: ENOENT/],
      [['report', 'merge', join(dir, 'one.json')], /at least two report files/],
    ];
    for (const [args, message] of cases) {
      let err = '';
      const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => { err += String(chunk); return true; });
      let code: number;
      try {
        code = await main(['node', 'ingestor-sim', ...args]);
      } finally {
        spy.mockRestore();
      }
      expect(code, args.join(' ')).toBe(2);
      expect(err, args.join(' ')).toMatch(message);
    }
  });
});
