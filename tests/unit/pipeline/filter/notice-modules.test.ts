/**
 * Every module's description and console location against the notice's own text: the notice is cut into one
 * segment per module (from its heading to the next module's heading or "Back to top"), parsed here apart from
 * the catalog, as tests/unit/pipeline/classify/notice.test.ts does for items. A description must be the module's own prose
 * (not another module's, not its console location or settings); a console location must be the module's own.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../../../src/pipeline/classify/index.ts';

const NOTICE = new URL('../../../fixtures/shared/seeds/000_7af1eaa6cc54c2d6.txt', import.meta.url);
const catalog = loadCatalog();
const norm = (s: string) => s.replace(/[’]/g, "'").replace(/\s+/g, ' ').trim().toLowerCase();

interface Segment { heading: string; lines: string[] }

/** The notice's lines, trimmed, blank ones out. */
const lines = readFileSync(NOTICE, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '');

/**
 * Cuts the notice at module headings: a line (or two lines joined) equal to a module's name that is followed by
 * more text before "Back to top" (an image caption that repeats a name is followed by "Back to top" at once).
 */
function segments(): Segment[] {
  const names = new Set(catalog.modules.map((m) => norm(m.name)));
  const out: Segment[] = [];
  let cur: Segment | null = null;
  let preamble: string[] = []; // text after "Back to top" and before a heading: the next module's
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l === 'Back to top') { cur = null; preamble = []; continue; }
    const two = i + 1 < lines.length ? norm(`${l} ${lines[i + 1]}`) : '';
    const twoSlash = i + 1 < lines.length ? norm(`${l} / ${lines[i + 1]}`) : '';
    const name = names.has(norm(l)) ? norm(l) : names.has(two) ? two : names.has(twoSlash) ? twoSlash : null;
    const next = name === two || name === twoSlash ? lines[i + 2] : lines[i + 1];
    if (name !== null && next !== undefined && next !== 'Back to top' && !(cur && cur.heading === name && cur.lines.length === 0)) {
      cur = { heading: name, lines: [...preamble] };
      preamble = [];
      out.push(cur);
      if (name === two || name === twoSlash) i++;
      continue;
    }
    if (cur) cur.lines.push(l);
    else preamble.push(l);
  }
  return out;
}

const CONSOLE = /^(Console Location|Console Settings|Feature Configuration Location|To enable|To disable|Run Windows Task Scheduler)/i;

/**
 * Lines of a segment that belong to the console location or settings: their heading lines, and after one the
 * bullets, "To enable/disable" steps and short captions; a line of prose ends them. "Data Collected & Console
 * Location" (a module whose text is deferred to another article) heads prose, not a console location.
 */
function consoleLines(seg: Segment): string[] {
  const out: string[] = [];
  let inConsole = false;
  seg.lines.forEach((l, i) => {
    const joint = i > 0 && seg.lines[i - 1].endsWith('&');
    if (CONSOLE.test(l) && !joint) {
      inConsole = true;
      out.push(l.replace(/^(Console Location|Console Settings|Feature Configuration Location)\s*/, ''));
      return;
    }
    if (/^(Description|Data Collected|Data Transmitted)/.test(l) || joint) { inConsole = false; return; }
    if (inConsole && (l.startsWith('•') || l.length < 40 || />/.test(l))) out.push(l.replace(/^•\s*/, ''));
    else inConsole = false;
  });
  return out;
}

const segs = segments();
/** The segments in catalog order: modules that share a name take their segments in the notice's order. */
function segmentOf(): Map<string, Segment> {
  const used = new Set<Segment>();
  const map = new Map<string, Segment>();
  for (const m of catalog.modules) {
    const s = segs.find((x) => !used.has(x) && x.heading === norm(m.name));
    if (s) { used.add(s); map.set(m.id, s); }
  }
  return map;
}
const byModule = segmentOf();

/** Sentences of a text, for a containment check (the notice's own sentences carry no full stop in places). */
const sentences = (t: string) => t.split(/(?<=[.:])\s+/).map(norm).filter((x) => x.length > 3);

describe('module text vs the notice', () => {
  it('finds one segment per module of the catalog', () => {
    const missing = catalog.modules.filter((m) => !byModule.has(m.id)).map((m) => m.id);
    expect(missing).toEqual([]);
  });

  it('every description is the module\'s own prose: in its segment, not in its console location or settings', () => {
    const problems: string[] = [];
    for (const m of catalog.modules) {
      const seg = byModule.get(m.id)!;
      const text = norm(seg.lines.join(' ').replace(/•/g, ' '));
      const cons = norm(consoleLines(seg).join(' '));
      for (const s of sentences(m.description)) {
        if (!text.includes(s.replace(/\.$/, ''))) problems.push(`${m.id}: "${s}" is not in its own segment of the notice`);
        else if (cons.includes(s.replace(/\.$/, ''))) problems.push(`${m.id}: "${s}" is its console location or settings, not a description`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('a module whose notice segment has a Description line holds it', () => {
    const problems: string[] = [];
    for (const m of catalog.modules) {
      const seg = byModule.get(m.id)!;
      const d = seg.lines.find((l) => /^Description\s+\S/.test(l) && norm(l) !== norm(m.name));
      if (d && !norm(m.description).includes(norm(d.replace(/^Description\s+/, '')))) problems.push(`${m.id}: misses "${d}"`);
    }
    expect(problems).toEqual([]);
  });

  it('every console location and console setting is the module\'s own', () => {
    const problems: string[] = [];
    for (const m of catalog.modules) {
      const cons = consoleLines(byModule.get(m.id)!).map(norm);
      for (const c of [...m.consoleLocation, ...(m.consoleSettings ?? [])]) {
        if (!cons.some((x) => x.includes(norm(c)))) problems.push(`${m.id}: console "${c}" is not among its segment's console lines`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('every turnOffNote is the notice\'s own words (its quoted parts, where it quotes), except where the notice says nothing', () => {
    const notice = norm(lines.join(' ').replace(/•/g, ' '));
    const problems: string[] = [];
    for (const m of catalog.modules) {
      if (m.canBeTurnedOff === 'not-stated') continue;
      const quoted = [...m.turnOffNote.matchAll(/"([^"]+)"/g)].map((x) => x[1]);
      for (const q of quoted.length > 0 ? quoted : [m.turnOffNote]) {
        if (!notice.includes(norm(q).replace(/\.$/, ''))) problems.push(`${m.id}: "${q}"`);
      }
    }
    expect(problems).toEqual([]);
  });
});
