// autocannon 8 ships no types; the part of its programmatic API that bench/http.ts uses.
declare module 'autocannon' {
  interface Histo { average: number; mean: number; p50: number; p90: number; p99: number; p99_9: number; max: number; total: number; sent?: number }
  interface Options {
    url: string;
    connections?: number;
    pipelining?: number;
    duration?: number;
    amount?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    requests?: Array<{ method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer }>;
    timeout?: number;
  }
  interface Result {
    requests: Histo;
    latency: Histo;
    throughput: Histo;
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    statusCodeStats: Record<string, { count: number }>;
  }
  function autocannon(opts: Options): Promise<Result>;
  export default autocannon;
}
