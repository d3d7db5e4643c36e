// A slowloris client for tests/socket/service-connections.test.ts: opens COUNT sockets to the server from
// LOCAL (loopback addresses, comma-separated: the sockets go round-robin over them), sends an unfinished request
// head on each and drips one more header line every 500 ms. Prints a JSON line {"ready":…} once every socket has
// connected or been closed, then a last one when its stdin ends (or after 60 s): how many connected, were answered
// 503 code 9, were closed by the server (the last after how many ms), and were still open. Loopback only.
import net from 'node:net';

const [port, count, local] = process.argv.slice(2).map((x, i) => (i === 2 ? x : Number(x)));
const locals = local.split(',');
const started = Date.now();
let connected = 0, busy = 0, closedByServer = 0, failed = 0, lastCloseMs = 0, settled = 0;
const open = new Set();
const report = () => ({ connected, busy, closedByServer, failed, stillOpen: open.size, lastCloseMs, ms: Date.now() - started });
function settle() {
  if (++settled === count) process.stdout.write(`${JSON.stringify({ ready: report() })}\n`);
}
let i = 0;
function next() {
  for (let k = 0; k < 200 && i < count; k++, i++) {
    const s = net.connect({ host: '127.0.0.1', port, localAddress: locals[i % locals.length] });
    let got = '';
    let wasOpen = false;
    s.on('connect', () => {
      connected++;
      wasOpen = true;
      open.add(s);
      s.write('POST /services/collector/event HTTP/1.1\r\nHost: ingestor-us.xdr.trendmicro.com\r\nContent-Type: application/json\r\n');
      settle();
    });
    s.on('data', (c) => { got += c; });
    s.on('error', () => {});
    s.on('close', () => {
      if (!wasOpen) { failed++; settle(); return; }
      if (!open.delete(s)) return;
      if (got.includes('"code":9')) busy++;
      else closedByServer++;
      lastCloseMs = Date.now() - started;
    });
  }
  if (i < count) setTimeout(next, 5);
}
next();
const drip = setInterval(() => { for (const s of open) s.write(`X-Drip-${Date.now() % 1000}: x\r\n`); }, 500);
function finish() {
  clearInterval(drip);
  const out = report();
  for (const s of open) s.destroy();
  process.stdout.write(`${JSON.stringify({ done: out })}\n`);
  process.exit(0);
}
// a line on stdin asks for a {"status":…} line
process.stdin.on('data', () => process.stdout.write(`${JSON.stringify({ status: report() })}\n`));
process.stdin.on('end', finish);
setTimeout(finish, 60_000);
