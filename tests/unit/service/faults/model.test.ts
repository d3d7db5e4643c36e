import { describe, expect, it } from 'vitest';
import { SchemaError } from '../../../../src/config/schema.ts';
import { decideFault, drawLatency, ERROR_ANSWERS, mulberry32, parseFaultSpec, type FaultSpec } from '../../../../src/service/faults/model.ts';
import { FaultRegistry } from '../../../../src/service/faults/registry.ts';

function run(spec: FaultSpec, n: number, seed = 42) {
  const rng = mulberry32(seed);
  const counts: Record<string, number> = { pass: 0, refuse: 0, drop: 0, reset: 0, error: 0, slow: 0 };
  const delays: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = decideFault(spec, rng);
    counts[d.action]++;
    if (d.slow) counts.slow++;
    delays.push(d.delayMs);
  }
  return { counts, delays };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const stddev = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};

describe('mulberry32', () => {
  it('is repeatable per seed, differs across seeds, and stays in [0, 1)', () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const c = mulberry32(8);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(xs.slice(0, 10)).not.toEqual(Array.from({ length: 10 }, () => c()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(mean(xs)).toBeGreaterThan(0.45);
    expect(mean(xs)).toBeLessThan(0.55);
  });
});

describe('decideFault', () => {
  const N = 20_000;
  // Binomial standard deviation at N = 20000 and p = 0.1 is 0.0021; 0.01 is ~5 sigma.
  it('answers errors at the configured rate with the chosen answer', () => {
    const { counts } = run({ error: { rate: 0.1, answer: 'busy' } }, N);
    expect(Math.abs(counts.error / N - 0.1)).toBeLessThan(0.01);
    expect(counts.pass + counts.error).toBe(N);
    const d = decideFault({ error: { rate: 1, answer: 'throttle' } }, mulberry32(1));
    expect(d).toMatchObject({ action: 'error', error: { status: 429, code: 26, retryAfterSeconds: 1 } });
    expect(decideFault({ error: { rate: 1, answer: 'internal' } }, mulberry32(1)).error).toMatchObject({ status: 500, code: 8, text: 'Internal server error', retryAfterSeconds: null });
    expect(decideFault({ error: { rate: 1, answer: 'busy', retryAfterSeconds: 30 } }, mulberry32(1)).error).toMatchObject({ status: 503, code: 9, text: 'Server is busy', retryAfterSeconds: 30 });
  });

  it('resets, errors and slows independently: reset is drawn first, error only for the rest', () => {
    const { counts } = run({ reset: { rate: 0.2 }, error: { rate: 0.25, answer: 'internal' }, slow: { rate: 0.5, bytesPerSecond: 100 } }, N);
    expect(Math.abs(counts.reset / N - 0.2)).toBeLessThan(0.012);
    expect(Math.abs(counts.error / N - 0.8 * 0.25)).toBeLessThan(0.012);
    expect(Math.abs(counts.slow / N - 0.8 * 0.75 * 0.5)).toBeLessThan(0.015);
  });

  it('unreachable wins and draws nothing', () => {
    const rng = mulberry32(3);
    const before = mulberry32(3)();
    expect(decideFault({ unreachable: 'refused', error: { rate: 1, answer: 'busy' } }, rng).action).toBe('refuse');
    expect(decideFault({ unreachable: 'dropped', latency: { kind: 'fixed', ms: 50 } }, rng)).toMatchObject({ action: 'drop', delayMs: 0 });
    expect(rng()).toBe(before);
  });

  it('an empty spec passes with no delay', () => {
    expect(decideFault({}, mulberry32(1))).toEqual({ action: 'pass', delayMs: 0, error: null, slow: null });
  });

  it('the same seed gives the same decisions', () => {
    const spec: FaultSpec = { latency: { kind: 'uniform', minMs: 0, maxMs: 10 }, error: { rate: 0.3, answer: 'busy' } };
    expect(run(spec, 500, 9)).toEqual(run(spec, 500, 9));
  });
});

describe('drawLatency', () => {
  const rng = mulberry32(123);
  const N = 20_000;
  it('fixed is fixed', () => {
    expect(drawLatency({ kind: 'fixed', ms: 25 }, rng)).toBe(25);
  });
  it('uniform stays in [min, max] with the middle as mean', () => {
    const xs = Array.from({ length: N }, () => drawLatency({ kind: 'uniform', minMs: 20, maxMs: 60 }, rng));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(20);
    expect(Math.max(...xs)).toBeLessThanOrEqual(60);
    expect(Math.abs(mean(xs) - 40)).toBeLessThan(0.5);
  });
  it('normal has the configured mean and standard deviation', () => {
    const xs = Array.from({ length: N }, () => drawLatency({ kind: 'normal', meanMs: 100, stddevMs: 15 }, rng));
    expect(Math.abs(mean(xs) - 100)).toBeLessThan(0.5);
    expect(Math.abs(stddev(xs) - 15)).toBeLessThan(0.5);
  });
  it('normal is clamped at 0', () => {
    const xs = Array.from({ length: 2000 }, () => drawLatency({ kind: 'normal', meanMs: 1, stddevMs: 50 }, rng));
    expect(Math.min(...xs)).toBe(0);
  });
});

describe('parseFaultSpec', () => {
  it('accepts every documented shape', () => {
    const doc = {
      latency: { kind: 'normal', meanMs: 50, stddevMs: 10 },
      error: { rate: 0.05, answer: 'throttle', retryAfterSeconds: 5 },
      reset: { rate: 0.01 },
      slow: { rate: 0.5, bytesPerSecond: 1000, chunkBytes: 10 },
      unreachable: null,
      seed: 12,
    };
    expect(parseFaultSpec(doc)).toEqual(doc);
    expect(parseFaultSpec({})).toEqual({});
  });
  it('names each bad path', () => {
    try {
      parseFaultSpec({ error: { rate: 2, answer: 'teapot' }, unreachable: 'sideways', extra: 1 });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SchemaError);
      const msg = (err as SchemaError).problems.join('\n');
      expect(msg).toContain('/error/rate');
      expect(msg).toContain('/error/answer');
      expect(msg).toContain('/unreachable');
      expect(msg).toContain("'extra'");
    }
  });
  it('refuses a uniform latency whose min is above its max', () => {
    expect(() => parseFaultSpec({ latency: { kind: 'uniform', minMs: 50, maxMs: 10 } })).toThrow(/minMs \(50\) is larger than maxMs \(10\)/);
  });
});

describe('FaultRegistry', () => {
  it('sets, views, clears and emits change; refuses unknown regions', () => {
    const r = new FaultRegistry(['us', 'eu'], { eu: { unreachable: 'dropped' } });
    expect(r.unreachable('eu')).toBe('dropped');
    expect(r.active).toBe(true);
    const seen: string[] = [];
    r.on('change', (region: string) => seen.push(region));
    r.set('us', { error: { rate: 1, answer: 'busy' }, seed: 5 });
    expect(r.view('us')).toMatchObject({ region: 'us', seed: 5, decisions: 0 });
    expect(r.decide('us')?.action).toBe('error');
    expect(r.view('us').decisions).toBe(1);
    r.clear('us');
    r.clear('eu');
    expect(r.decide('us')).toBeNull();
    expect(r.active).toBe(false);
    expect(seen).toEqual(['us', 'us', 'eu']);
    expect(() => r.set('mars', {})).toThrow(expect.objectContaining({ name: 'SimError', code: 'SIM_ERR_ADMIN_UNKNOWN_REGION', detail: "'mars' is not a served region (us, eu)" }));
    expect(() => new FaultRegistry(['us'], { us: { latency: { kind: 'fixed' } } })).toThrow(/config \/faults\/us is invalid/);
    expect(() => new FaultRegistry(['us'], { mars: {} })).toThrow(SchemaError);
    expect(() => new FaultRegistry(['us'], { mars: {} })).toThrow("/faults/mars: 'mars' is not a served region (us)");
  });
  it('ERROR_ANSWERS match the HEC catalog', async () => {
    const { HEC_CODES } = await import('../../../../src/errors/codes.ts');
    for (const a of Object.values(ERROR_ANSWERS)) {
      expect(HEC_CODES[a.code as keyof typeof HEC_CODES]).toEqual({ status: a.status, text: a.text });
    }
  });
});

describe('decideAck (indexing delay and ack loss)', () => {
  it('no ack faults: on time, nothing drawn', async () => {
    const { decideAck, hasAckFaults } = await import('../../../../src/service/faults/model.ts');
    let draws = 0;
    const rng = () => { draws++; return 0.5; };
    expect(decideAck({}, rng)).toEqual({ delayMs: 0, lost: false });
    expect(hasAckFaults({ ack: {} })).toBe(false);
    expect(hasAckFaults({ ack: { lossRate: 0 } })).toBe(false);
    expect(draws).toBe(0);
  });
  it('a fixed delay; a distribution stays in its range; loss at its rate (seeded)', async () => {
    const { decideAck } = await import('../../../../src/service/faults/model.ts');
    expect(decideAck({ ack: { delay: { kind: 'fixed', ms: 250 } } }, mulberry32(1))).toEqual({ delayMs: 250, lost: false });
    const rng = mulberry32(42);
    let lost = 0;
    for (let i = 0; i < 2000; i++) {
      const f = decideAck({ ack: { delay: { kind: 'uniform', minMs: 10, maxMs: 20 }, lossRate: 0.25 } }, rng);
      if (f.lost) lost++;
      else expect(f.delayMs >= 10 && f.delayMs <= 20).toBe(true);
    }
    expect(lost / 2000).toBeGreaterThan(0.2);
    expect(lost / 2000).toBeLessThan(0.3);
  });
  it('the schema takes ack documents and refuses bad ones with the path', () => {
    expect(parseFaultSpec({ ack: { delay: { kind: 'normal', meanMs: 100, stddevMs: 10 }, lossRate: 0.1 } }).ack?.lossRate).toBe(0.1);
    expect(() => parseFaultSpec({ ack: { delay: { kind: 'fixed' } } })).toThrow(/\/ack\/delay/);
    expect(() => parseFaultSpec({ ack: { lossRate: -1 } })).toThrow(/\/ack\/lossRate/);
    expect(() => parseFaultSpec({ ack: { later: true } })).toThrow(/\/ack/);
  });
});
