/**
 * The catalog against the notice itself: parses the data collection notice independently of the catalog and
 * proves that every module and every item is there, spelled as in the notice, and that every module the notice
 * says cannot be turned off is locked. No counts are written here: they all come from the notice.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../../../src/pipeline/classify/index.ts';

const NOTICE = new URL('../../../fixtures/shared/seeds/000_7af1eaa6cc54c2d6.txt', import.meta.url);

interface Block {
  /** Non-blank lines above the data heading, nearest last (the module's heading is among them). */
  above: string[];
  items: string[];
  deferred: boolean;
  closed: boolean;
  text: string;
}

function parseNotice(text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  let cur: Block | null = null;
  let chunk: string[] = []; // text since the last "Back to top"
  for (const raw of lines) {
    const s = raw.trim();
    if (s === 'Back to top') {
      if (cur) cur.text = chunk.join('\n');
      cur = null;
      chunk = [];
      continue;
    }
    // "Modules that cannot be disabled are indicated below" speaks of other modules, not of this one
    if (s !== '' && !/modules that cannot be disabled/i.test(s)) chunk.push(s);
    if (/^Data (Collected|Transmitted)/.test(s)) {
      const above = chunk.slice(0, -1).filter((l) => !l.startsWith('•') && !/^Description\s+\S+\s+\S+/.test(l));
      cur = { above, items: [], deferred: s.endsWith('&'), closed: false, text: '' };
      blocks.push(cur);
      const rest = s.startsWith('Data Collected') ? s.replace(/^Data Collected/, '').trim() : '';
      if (rest !== '' && !rest.startsWith('&') && !rest.endsWith(':') && !rest.endsWith('.')) cur.items.push(rest);
      continue;
    }
    if (cur && /^(Console Location|Feature Configuration Location|Console Settings)/.test(s)) {
      cur.closed = true; // the items end here; the text runs on to "Back to top"
      continue;
    }
    if (cur && !cur.closed && s.startsWith('•')) {
      cur.items.push(s.replace(/^•\s*/, '').replace(/,$/, '').trim());
    }
  }
  if (cur) cur.text = chunk.join('\n');
  return blocks;
}

const catalog = loadCatalog();
const blocks = parseNotice(readFileSync(NOTICE, 'utf8'));
const lower = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim();

function moduleFor(block: Block) {
  // the module whose name is the nearest heading line above the data heading (two-line headings joined)
  for (let i = block.above.length - 1; i >= 0; i--) {
    const h = lower(block.above[i]);
    const two = i > 0 ? lower(`${block.above[i - 1]} ${block.above[i]}`) : h;
    const found = catalog.modules.filter((m) => {
      const n = lower(m.name).replace(' / ', ' ');
      return n === h || n === two || lower(m.name) === two;
    });
    if (found.length > 0) return found;
  }
  return [];
}

describe('catalog vs the data collection notice', () => {
  it('finds data blocks in the notice', () => {
    expect(blocks.length).toBeGreaterThan(10);
  });

  it('has a module for every data block, named as in the notice', () => {
    const missing = blocks.filter((b) => moduleFor(b).length === 0).map((b) => b.above.slice(-2).join(' / '));
    expect(missing).toEqual([]);
  });

  it('has every item of every module, spelled exactly as in the notice and in order', () => {
    const used = new Set<string>();
    const problems: string[] = [];
    for (const b of blocks) {
      const candidates = moduleFor(b).filter((m) => !used.has(m.id));
      // labels as the catalog spells them: "Website" with note "the URL" is "Website: the URL" in the notice
      const match = candidates.find((m) => {
        const labels = m.items.map((it) => (it.note ? `${it.label}: ${it.note}` : it.label));
        const groups = new Set(m.items.map((it) => it.group).filter((g): g is string => g !== null));
        const noticeItems = b.items.filter((l) => !groups.has(l));
        return JSON.stringify(labels) === JSON.stringify(noticeItems);
      });
      if (!match) {
        problems.push(`${b.above.slice(-1)[0]}: notice items ${JSON.stringify(b.items)}`);
        continue;
      }
      used.add(match.id);
    }
    expect(problems).toEqual([]);
  });

  it('keeps the notice sub-groups as groups', () => {
    for (const b of blocks) {
      const groups = [...new Set(moduleFor(b).flatMap((m) => m.items.map((it) => it.group)).filter((g): g is string => g !== null))];
      for (const g of groups) expect(b.items).toContain(g);
    }
  });

  it('locks every module the notice says cannot be turned off, and only those', () => {
    const phrase = /can(?:not|'t|’t) (?:be )?disabled?|cannot disable|cannot be disabled/i;
    const lockedSections = new Set<string>();
    const lockedModules = new Set<string>();
    // a section intro ("XDR Portal ... you cannot disable these features") locks the section
    const text = readFileSync(NOTICE, 'utf8');
    for (const para of text.split(/\n\s*\n/)) {
      if (!phrase.test(para.replace(/[^.]*modules that cannot be disabled[^.]*\./gi, ''))) continue;
      for (const m of catalog.modules) {
        if (para.includes(m.section[0]) && m.section.length === 1 && m.section[0] !== m.name && para.indexOf(m.section[0]) < 40) lockedSections.add(m.section[0]);
      }
    }
    for (const b of blocks) {
      if (phrase.test(b.text)) for (const m of moduleFor(b)) lockedModules.add(m.id);
    }
    const expected = catalog.modules.filter((m) => lockedModules.has(m.id) || lockedSections.has(m.section[0])).map((m) => m.id).sort();
    const actual = catalog.modules.filter((m) => m.canBeTurnedOff === 'no').map((m) => m.id).sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(actual).toEqual(expected);
  });

  it('keeps the modules whose items are in another article, with a reference', () => {
    for (const b of blocks.filter((x) => x.deferred)) {
      const [m] = moduleFor(b);
      expect(m.items).toEqual([]);
      expect(m.itemsReference).toMatch(/Data Collection Notice/);
    }
  });
});
