import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SimError } from '../../../errors/sim-error.ts';
import { PROFILES } from '../../gen/types.ts';

// Only what defining the options needs is imported above, so that `load --help` loads no more than
// `ingestor-sim --help` does; the event generator, the load generator (undici, the HDR histogram), the regions
// and the reports are imported when the command runs (tests/unit/tools/cli/help-imports.test.ts).

interface LoadFlags {
  target?: string;
  region?: string;
  hostHeader?: string;
  token?: string;
  rate?: string;
  connections: string;
  pipelining: string;
  duration?: string;
  events?: string;
  batch: string;
  profile: string;
  gzip?: boolean;
  seed: string;
  startTime?: string;
  pool: string;
  timeout: string;
  lateTolerance: string;
  drain: string;
  insecure?: boolean;
  ca?: string;
  json?: string;
  html?: string;
  ack?: boolean;
  channel?: string;
  ackPoll: string;
  ackWait: string;
}

/** Turns a parser's RangeError into a usage error (exit 2). */
function usage<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof RangeError) throw new SimError('SIM_ERR_USAGE', { detail: err.message });
    throw err;
  }
}

export function register(program: Command): void {
  program.command('load')
    .description('Drive a Splunk HEC endpoint (the emulator or any other) with realistic security events and report latency and throughput')
    .option('--target <url>', 'HEC endpoint; /services/collector/event is appended when the URL has no path (default with --region: http://127.0.0.1:<region port>)')
    .option('--region <id>', "send the region's ingestor host (e.g. ingestor-us.xdr.trendmicro.com) as the Host header")
    .option('--host-header <name>', 'send this Host header instead (overrides --region)')
    .option('--token <token>', 'HEC token, sent as "Authorization: Splunk <token>" (required)')
    .option('--rate <n/s>', 'open model: constant arrival rate in requests per second (e.g. 200/s); without it: closed model')
    .option('--connections <n>', 'connections (closed model: all kept busy; open model: the most in use)', '10')
    .option('--pipelining <n>', 'HTTP/1.1 requests in flight per connection', '1')
    .option('--duration <time>', 'stop after this long (e.g. 30s, 2m); default 10s when --events is not given')
    .option('--events <n>', 'stop after sending this many events')
    .option('--batch <n>', 'events per request', '100')
    .option('--profile <name>', `event mix: ${PROFILES.join(', ')}`, 'mixed')
    .option('--gzip', 'gzip each batch (Content-Encoding: gzip); compressed before the run')
    .option('--seed <s>', 'seed of the event generator: the same seed gives byte-identical batches', '1')
    .option('--start-time <t>', "time of the first event: 'now', epoch seconds or an ISO date (default 2026-01-01T00:00:00Z, fixed so --seed reproduces)")
    .option('--pool <n>', 'distinct batches built before the run and sent in turn', '64')
    .option('--timeout <time>', 'per-request timeout (headers and body)', '30s')
    .option('--late-tolerance <time>', 'open model: a request starting later than this after its arrival time counts as late', '5ms')
    .option('--drain <time>', 'after the end, how long requests in flight may still finish', '10s')
    .option('--insecure', 'https: do not verify the server certificate')
    .option('--ca <file>', 'https: trust this CA certificate (PEM), e.g. the emulator\'s local CA')
    .option('--ack', 'indexer acknowledgment: send a channel, poll every ackId until it reads true, report ack latency (the token needs useAck)')
    .option('--channel <guid>', 'with --ack: the channel to use (default: a new random GUID)')
    .option('--ack-poll <time>', 'with --ack: poll period', '100ms')
    .option('--ack-wait <time>', 'with --ack: after the run, how long to wait for acks still pending', '10s')
    .option('--json <file>', 'write the full report as JSON (with the encoded histogram, for `report merge`)')
    .option('--html <file>', 'write a self-contained HTML report (latency over time, percentile plot)')
    .action(async (flags: LoadFlags) => {
      process.exitCode = await loadCommand(flags);
    });
}

async function loadCommand(f: LoadFlags): Promise<number> {
  const [
    { DEFAULT_START_TIME_MS, isProfile, seedFrom }, { buildPayloads }, { parseDuration, parseIntIn, parseRate, parseStartTime, resolveTarget },
    { runLoad }, { loadRegions, servedRegions }, { buildReport }, { renderHtml }, { formatProgress, formatSummary },
  ] = await Promise.all([
    import('../../gen/index.ts'), import('../../loadgen/payloads.ts'), import('../../loadgen/parse.ts'),
    import('../../loadgen/runner.ts'), import('../../../service/region/regions.ts'), import('../../report/build.ts'),
    import('../../report/html.ts'), import('../../report/summary.ts'),
  ]);
  if (!f.token) throw new SimError('SIM_ERR_USAGE', { detail: '--token is required (the HEC token, sent as "Authorization: Splunk <token>")' });
  let regionHost: string | null = null;
  let regionPort: number | null = null;
  if (f.region !== undefined) {
    const served = servedRegions(loadRegions());
    const region = served.find((r) => r.id === f.region);
    if (!region) throw new SimError('SIM_ERR_USAGE', { detail: `unknown region '${f.region}' (regions with an ingestor host: ${served.map((r) => r.id).join(', ')})` });
    regionHost = region.ingestorHost;
    regionPort = region.defaultPort;
  }
  if (f.target === undefined && regionPort === null) throw new SimError('SIM_ERR_USAGE', { detail: '--target is required (e.g. --target http://127.0.0.1:8088), or give --region to use its local port' });
  const target = usage(() => resolveTarget(f.target ?? `http://127.0.0.1:${regionPort}`));
  const profile = f.profile;
  if (!isProfile(profile)) throw new SimError('SIM_ERR_USAGE', { detail: `unknown profile '${profile}' (one of: ${PROFILES.join(', ')})` });
  const rate = f.rate === undefined ? undefined : usage(() => parseRate(f.rate as string));
  const connections = usage(() => parseIntIn(f.connections, '--connections', 1, 10_000));
  const pipelining = usage(() => parseIntIn(f.pipelining, '--pipelining', 1, 256));
  const batch = usage(() => parseIntIn(f.batch, '--batch', 1, 1_000_000));
  const maxEvents = f.events === undefined ? undefined : usage(() => parseIntIn(f.events as string, '--events', 1, Number.MAX_SAFE_INTEGER));
  const durationMs = f.duration !== undefined ? usage(() => parseDuration(f.duration as string, '--duration'))
    : maxEvents === undefined ? 10_000 : undefined;
  const pool = usage(() => parseIntIn(f.pool, '--pool', 1, 100_000));
  const timeoutMs = usage(() => parseDuration(f.timeout, '--timeout'));
  const lateToleranceMs = usage(() => parseDuration(f.lateTolerance, '--late-tolerance'));
  const drainTimeoutMs = usage(() => parseDuration(f.drain, '--drain'));
  const seed = usage(() => seedFrom(f.seed));
  const startTimeMs = f.startTime === undefined ? DEFAULT_START_TIME_MS : usage(() => parseStartTime(f.startTime as string));
  let ca: string | undefined;
  if (f.ca !== undefined) {
    try {
      ca = readFileSync(f.ca, 'utf8');
    } catch (err) {
      throw new SimError('SIM_ERR_USAGE', { detail: `--ca ${f.ca}: ${(err as Error).message}` });
    }
  }
  const hostHeader = f.hostHeader ?? regionHost;
  if (f.channel !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(f.channel)) throw new SimError('SIM_ERR_USAGE', { detail: `--channel: '${f.channel}' is not a GUID` });
  const ack = f.ack ? {
    channel: f.channel, pollMs: usage(() => parseDuration(f.ackPoll, '--ack-poll')), waitMs: usage(() => parseDuration(f.ackWait, '--ack-wait')),
  } : undefined;

  const payloads = buildPayloads({ profile, seed, batch, gzip: Boolean(f.gzip), pool, maxEvents, generator: { startTimeMs } });
  const tty = Boolean(process.stdout.isTTY);
  const model = rate === undefined ? 'closed' : 'open';
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write(`${tty ? '\r\x1b[2K' : ''}ingestor-sim: interrupted, finishing requests in flight (Ctrl-C again to quit at once)\n`);
      controller.abort();
    } else {
      process.exit(130);
    }
  };
  process.on('SIGINT', onSigint);
  let outcome;
  try {
    outcome = await runLoad({
      target, token: f.token, hostHeader, payloads, gzip: Boolean(f.gzip), rate, connections, pipelining, durationMs,
      timeoutMs, lateToleranceMs, drainTimeoutMs, signal: controller.signal, insecure: Boolean(f.insecure), ca, ack,
      onTick: tty ? (s) => process.stdout.write(`\r\x1b[2K${formatProgress(s, model)}`) : undefined,
    });
  } finally {
    process.off('SIGINT', onSigint);
    if (tty) process.stdout.write('\r\x1b[2K');
  }
  const report = buildReport(outcome, {
    target: target.href, hostHeader, region: f.region ?? null, profile, seed, batch, gzip: Boolean(f.gzip),
    rate: rate ?? null, connections, pipelining,
  });
  process.stdout.write(formatSummary(report));
  if (f.json) writeOut(f.json, JSON.stringify(report, null, 2) + '\n');
  if (f.html) writeOut(f.html, renderHtml(report));
  if (report.stopReason === 'interrupted') return 130;
  if (report.requestsOk === 0) {
    process.stderr.write('ingestor-sim: no request was accepted (no 2xx response)\n');
    return 1;
  }
  return 0;
}

function writeOut(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (err) {
    throw new SimError('SIM_ERR_CLI_FAILED', { detail: `cannot write ${file}: ${(err as Error).message}` });
  }
}
