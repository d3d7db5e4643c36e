import { describe, expect, it } from 'vitest';
import { compileMatcher, getDefaultMatcher, loadCatalog } from '../../../../src/pipeline/classify/index.ts';
import type { CatalogDef } from '../../../../src/pipeline/classify/types.ts';

// Issue 11 §3: where a module's notice items are groups that each describe one kind of object (Container
// Security's Kubernetes information groups), every field of such an object belongs to its group at least, with
// its own category from name and value.
const m = getDefaultMatcher();
const CS = 'trend-vision-one-container-security';
const pod = {
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'web-7d9f', namespace: 'shop', uid: 'a1b2', labels: { app: 'web' }, creationTimestamp: '2024-05-01T10:00:00Z' },
  spec: {
    nodeName: 'node-1',
    containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }], env: [{ name: 'DB_PASSWORD', value: 'hunter2' }], resources: { limits: { cpu: '500m' } } }],
  },
  status: { phase: 'Running', podIP: '10.1.2.3', qosClass: 'Burstable' },
};
const node = {
  kind: 'Node', metadata: { name: 'node-1' },
  status: { nodeInfo: { kubeletVersion: 'v1.29.2', osImage: 'Ubuntu 22.04' }, addresses: [{ type: 'InternalIP', address: '192.168.1.10' }], capacity: { cpu: '8' } },
};

describe('record groups (Kubernetes information groups)', () => {
  it('gives every field of a Pod object an item of the module: its own, else the group the object is', () => {
    const fields = m.classifyEvent(pod, CS);
    expect(fields.length).toBe(17);
    for (const f of fields) {
      expect(f.module, f.path).toBe(CS);
      expect(f.item, f.path).not.toBeNull();
    }
    const by = Object.fromEntries(fields.map((f) => [f.path, f]));
    // no item of its own: the group, with its own category (a phase is a code, a limit says nothing)
    expect(by['status.phase']).toMatchObject({ item: 'Kubernetes Pod Information', group: 'Kubernetes Pod Information' });
    expect(by['spec.containers[0].resources.limits.cpu']).toMatchObject({ item: 'Container Information', group: 'Container Information', category: 'unknown' });
    // its own item, of the group the object is (a label several groups share is this group's)
    expect(by['metadata.namespace']).toMatchObject({ item: 'Namespace', group: 'Kubernetes Pod Information' });
    expect(by['status.podIP']).toMatchObject({ item: 'Dispatched IP', category: 'online-identifier' });
    // the key `containers` puts its subtree in "Container Information"
    expect(by['spec.containers[0].image']).toMatchObject({ item: 'Image ID', group: 'Container Information' });
  });

  it('reads a Node object in "Node Information", its addresses as that group\'s IP addresses', () => {
    const by = Object.fromEntries(m.classifyEvent(node, CS).map((f) => [f.path, f]));
    expect(by['status.capacity.cpu']).toMatchObject({ module: CS, item: 'Node Information', group: 'Node Information' });
    expect(by['status.addresses[0].address']).toMatchObject({ item: 'IP addresses', group: 'Node Information', category: 'online-identifier' });
    expect(by['status.nodeInfo.kubeletVersion']).toMatchObject({ item: 'Kubernetes version', group: 'Node Information' });
  });

  it('changes nothing without the catalog flag, nor for an object whose kind names no group', () => {
    const cat = loadCatalog();
    const plain: CatalogDef = { ...cat, modules: cat.modules.map((x) => (x.id === CS ? { ...x, groupRecords: false } : x)) };
    const without = compileMatcher(plain).classifyEvent(pod, CS);
    expect(without.find((f) => f.path === 'status.phase')).toMatchObject({ item: null, module: null });
    const other = m.classifyEvent({ kind: 'ConfigMap', data: { x: '1' } }, CS);
    expect(other.find((f) => f.path === 'data.x')).toMatchObject({ item: null });
    // another module's events are as they were
    expect(m.classifyEvent(pod, 'splunk-network-firewall-web-gateway-logs').some((f) => f.item === 'Kubernetes Pod Information')).toBe(false);
  });
});
