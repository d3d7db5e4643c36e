/**
 * Tenant permissions and settings kept with the data (`<dataDir>/policy/tenants.json`), and the audit trail of
 * every change made through the admin API (`<dataDir>/policy/audit.jsonl`).
 *
 * - tenants.json is replaced atomically: written to a temp file in the same folder, fsynced, renamed over the
 *   old one, then the folder is fsynced, so a crash leaves either the old or the new state, never half of one.
 * - audit.jsonl is append-only, one JSON object per line, fsynced per entry. An entry names the admin credential
 *   by a fingerprint (sha256 of the token, first 12 hex digits), never the token itself.
 * - A new data folder is seeded from the config file; when both hold a tenant, `permissionsFrom` says which wins
 *   (`data`, the default: changes made through the admin API survive a restart; `config`: the file's values
 *   replace the stored ones at start, and the audit records that).
 * - Version 2 holds only the values the admin API set, per value; everything else follows the config file at
 *   every start. Version 1 (written before) held each tenant's whole state; it is read once, through the audit
 *   trail, and written back as version 2 (src/pipeline/policy/boot.ts, migrateV1).
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { makeDir } from '../../fs/make-dir.ts';
import type { SecretsPolicy, TenantSettingId, UndeclaredPolicy } from '../classify/types.ts';

export type PermissionsFrom = 'data' | 'config';

/**
 * One tenant's stored policy. Version 2: only the values the admin API set (a module's own permission on or off
 * by module id, a setting, secrets, undeclared); what is absent follows the config file. Version 1: the modules
 * whose own permission was off, every setting, and (in later version 1 files) secrets and undeclared.
 */
export interface StoredTenant {
  uploadPermission: Record<string, boolean>;
  settings: Partial<Record<TenantSettingId, boolean>>;
  /** What is stored of secret fields' values (absent: the config's value applies). */
  secrets?: SecretsPolicy;
  /** What happens to undeclared fields (absent: the config's value applies). */
  undeclared?: UndeclaredPolicy;
}

/** The version this code writes; 1 is still read (a whole state per tenant, see migrateV1 in boot.ts). */
export const STATE_VERSION = 2;

export interface StoredState {
  version: 1 | 2;
  /** When this state was written (ISO). */
  savedAt: string;
  tenants: Record<string, StoredTenant>;
}

export interface AuditEntry {
  /** ISO time of the change. */
  at: string;
  tenant: string;
  /** `admin token sha256:<12 hex>` (the admin API) or `config file` (permissionsFrom=config at start). */
  credential: string;
  /** `uploadPermission` of a module, a tenant `setting`, or the tenant's `secrets` or `undeclared` policy. */
  change: 'uploadPermission' | 'setting' | 'secrets' | 'undeclared';
  /** The module id or setting id; for `secrets` and `undeclared`, the same word. */
  target: string;
  old: unknown;
  new: unknown;
  warnings?: string[];
  consequences?: string[];
}

/** How an admin credential appears in the audit: a fingerprint, never the secret. */
export function credentialId(token: string): string {
  return `admin token sha256:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // some file systems cannot fsync a folder; the rename is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes `text` to `path` atomically: temp file in the same folder, fsync, rename, fsync of the folder. */
export function writeFileAtomic(path: string, text: string, dir: string): void {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(dir);
}

export class PolicyStore {
  readonly dir: string;
  readonly statePath: string;
  readonly auditPath: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'policy');
    this.statePath = join(this.dir, 'tenants.json');
    this.auditPath = join(this.dir, 'audit.jsonl');
  }

  /** The stored state, or null for a data folder that has none yet. Throws on a file that is not ours. */
  load(): StoredState | null {
    if (!existsSync(this.statePath)) return null;
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(this.statePath, 'utf8'));
    } catch (err) {
      throw new Error(`${this.statePath}: not JSON (${(err as Error).message}); move it away to start from the config file`);
    }
    const s = data as StoredState;
    if (s === null || typeof s !== 'object' || (s.version !== 1 && s.version !== 2) || typeof s.tenants !== 'object' || s.tenants === null) {
      throw new Error(`${this.statePath}: not a version 1 or 2 policy state`);
    }
    return s;
  }

  /** Writes a version 2 state: each tenant's values set through the admin API. */
  save(tenants: Record<string, StoredTenant>): void {
    makeDir(this.dir, 0o700);
    const state: StoredState = { version: STATE_VERSION, savedAt: new Date().toISOString(), tenants };
    writeFileAtomic(this.statePath, `${JSON.stringify(state, null, 1)}\n`, this.dir);
  }

  audit(entry: AuditEntry): void {
    makeDir(this.dir, 0o700);
    const fd = openSync(this.auditPath, 'a', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(entry)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** The audit entries, oldest first (a torn last line, from a crash mid-append, is skipped). */
  readAudit(): AuditEntry[] {
    if (!existsSync(this.auditPath)) return [];
    const out: AuditEntry[] = [];
    for (const line of readFileSync(this.auditPath, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        out.push(JSON.parse(line) as AuditEntry);
      } catch {
        // a line cut short by a crash
      }
    }
    return out;
  }
}
