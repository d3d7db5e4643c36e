import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { clientKey, ConnectionGuard } from '../../src/service/server.ts';

/** A socket as the guard sees it: an address, 'close', destroy(). */
function sock(addr: string): Socket & { destroyed: boolean } {
  const s = new EventEmitter() as unknown as Socket & { destroyed: boolean };
  Object.assign(s, { remoteAddress: addr, destroyed: false, destroy() { s.destroyed = true; setImmediate(() => s.emit('close')); return s; } });
  return s;
}

describe('ConnectionGuard (issue 13 item 7): caps per client and in all, fairness by eviction', () => {
  it('refuses past the per-client cap; a closed socket frees its place', async () => {
    const g = new ConnectionGuard({ maxConnections: 100, maxConnectionsPerClient: 2 });
    const a = [sock('10.0.0.1'), sock('10.0.0.1')];
    expect(a.map((s) => g.admit(s))).toEqual([true, true]);
    expect(g.admit(sock('10.0.0.1'))).toBe(false);
    expect(g.admit(sock('10.0.0.2'))).toBe(true);
    a[0].emit('close');
    expect(g.of('10.0.0.1')).toBe(1);
    expect(g.admit(sock('10.0.0.1'))).toBe(true);
    expect([g.open, g.refused]).toEqual([3, 1]);
  });
  it('at the global cap, a newcomer evicts the oldest socket of the biggest holder; equals are not evicted', async () => {
    const g = new ConnectionGuard({ maxConnections: 4, maxConnectionsPerClient: 10 });
    const hog = [sock('h'), sock('h'), sock('h')];
    for (const s of hog) expect(g.admit(s)).toBe(true);
    expect(g.admit(sock('x'))).toBe(true); // 4 open: full
    const n = sock('n');
    expect(g.admit(n)).toBe(true); // evicts the hog's oldest
    expect(hog[0].destroyed).toBe(true);
    expect([g.open, g.evicted, g.of('h')]).toEqual([4, 1, 2]);
    // the hog's late 'close' does not count twice
    await new Promise((r) => setImmediate(r));
    expect(g.open).toBe(4);
    // h holds 2, the newcomer's address 1: 2 > 1 + 1 is false, so no eviction: refused
    expect(g.admit(sock('n'))).toBe(false);
    expect(g.refused).toBe(1);
  });
  it('clientKey: IPv4 as it is, IPv4-mapped as IPv4, IPv6 by its /64', () => {
    expect(clientKey('192.0.2.7')).toBe('192.0.2.7');
    expect(clientKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    // two addresses of one /64 share the per-client cap
    const g = new ConnectionGuard({ maxConnections: 10, maxConnectionsPerClient: 1 });
    expect(g.admit(sock('2001:db8:1:2::1'))).toBe(true);
    expect(g.admit(sock('2001:db8:1:2::2'))).toBe(false);
    expect(g.admit(sock('2001:db8:1:3::1'))).toBe(true);
  });
});
