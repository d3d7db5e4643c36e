/** Minimal SVG line charts for the self-contained HTML report (no scripts, no external assets). */

export interface Series {
  name: string;
  color: string;
  points: Array<[number, number]>;
  /** draw dots instead of a line */
  dots?: boolean;
}

export interface Tick {
  value: number;
  label: string;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** explicit x ticks; default: 6 evenly spaced */
  xTicks?: Tick[];
  width?: number;
  height?: number;
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** A "nice" tick step (1, 2, 5 × 10^k) giving about `count` ticks over `span`. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0)) return 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? String(Math.round(x)) : String(Math.round(x * 100) / 100));

export function lineChart(spec: ChartSpec): string {
  const W = spec.width ?? 760;
  const H = spec.height ?? 300;
  const m = { l: 64, r: 30, t: 34, b: 46 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const all = spec.series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const xMin = spec.xTicks ? Math.min(...spec.xTicks.map((t) => t.value), ...xs) : Math.min(0, ...xs);
  const xMax = Math.max(xMin + 1e-9, ...xs, ...(spec.xTicks?.map((t) => t.value) ?? []));
  const yStep = niceStep(Math.max(...ys, 0), 5);
  const yMax = Math.max(yStep, Math.ceil(Math.max(...ys, 0) / yStep) * yStep);
  const X = (x: number) => m.l + ((x - xMin) / (xMax - xMin || 1)) * pw;
  const Y = (y: number) => m.t + ph - (y / yMax) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(spec.title)}">`);
  out.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(spec.title)}</text>`);
  for (let y = 0; y <= yMax + 1e-9; y += yStep) {
    out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${Y(y).toFixed(1)}" y2="${Y(y).toFixed(1)}" stroke="#ddd"/>`);
    out.push(`<text x="${m.l - 6}" y="${(Y(y) + 4).toFixed(1)}" text-anchor="end" font-size="11">${fmt(y)}</text>`);
  }
  const xTicks = spec.xTicks ?? (() => {
    const step = niceStep(xMax - xMin, 6);
    const ticks: Tick[] = [];
    for (let x = Math.ceil(xMin / step) * step; x <= xMax + 1e-9; x += step) ticks.push({ value: x, label: fmt(x) });
    return ticks;
  })();
  for (const t of xTicks) {
    out.push(`<line x1="${X(t.value).toFixed(1)}" x2="${X(t.value).toFixed(1)}" y1="${m.t}" y2="${m.t + ph}" stroke="#eee"/>`);
    out.push(`<text x="${X(t.value).toFixed(1)}" y="${m.t + ph + 16}" text-anchor="middle" font-size="11">${escapeXml(t.label)}</text>`);
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${m.l + pw / 2}" y="${H - 8}" text-anchor="middle" font-size="12">${escapeXml(spec.xLabel)}</text>`);
  out.push(`<text transform="translate(14 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escapeXml(spec.yLabel)}</text>`);
  spec.series.forEach((s, i) => {
    if (s.points.length === 0) return;
    if (s.dots || s.points.length === 1) {
      for (const [x, y] of s.points) out.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
    } else {
      const d = s.points.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.8"/>`);
    }
    const lx = m.l + 10 + i * 120;
    out.push(`<rect x="${lx}" y="${m.t + 6}" width="12" height="3" fill="${s.color}"/><text x="${lx + 16}" y="${m.t + 11}" font-size="11">${escapeXml(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
