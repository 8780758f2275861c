/**
 * An SVG chart of the Running → exec delay against N (pure): p50 and p99 of the first hook per
 * container, on a log scale, with the 100 ms goal line. run.ts writes it next to the JSON and, when
 * rsvg-convert is on PATH, a PNG of it.
 */

export interface DelayPoint {
  readonly pods: number;
  readonly p50: number;
  readonly p99: number;
}

const W = 640;
const H = 400;
const M = { left: 70, right: 150, top: 40, bottom: 50 };

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function fmtMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 1) return '<1 ms';
  return ms >= 10 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`;
}

/** Axis labels: exact powers of ten. */
function tickMs(ms: number): string {
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}

export function delaySvg(points: readonly DelayPoint[], title: string): string {
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  // Log scale from 1 ms to the next power of ten above the largest value (at least 1 s).
  const largest = Math.max(1000, ...points.flatMap((p) => [p.p50, p.p99]));
  const decades = Math.ceil(Math.log10(largest));
  const y = (ms: number): number => M.top + plotH - (Math.log10(Math.max(1, ms)) / decades) * plotH;
  const x = (i: number): number => M.left + (points.length === 1 ? plotW / 2 : (i / (points.length - 1)) * plotW);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${esc(title)}</text>`,
  ];
  for (let d = 0; d <= decades; d++) {
    const v = 10 ** d;
    const yy = y(v).toFixed(1);
    parts.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`);
    parts.push(`<text x="${M.left - 8}" y="${yy}" text-anchor="end" dominant-baseline="middle">${tickMs(v)}</text>`);
  }
  const goal = y(100).toFixed(1);
  parts.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${goal}" y2="${goal}" stroke="#c00" stroke-dasharray="6 4"/>`);
  parts.push(`<text x="${M.left + plotW + 8}" y="${goal}" dominant-baseline="middle" fill="#c00">goal p99 100 ms</text>`);
  points.forEach((p, i) => {
    parts.push(`<text x="${x(i).toFixed(1)}" y="${M.top + plotH + 20}" text-anchor="middle">${p.pods}</text>`);
  });
  parts.push(`<text x="${M.left + plotW / 2}" y="${H - 10}" text-anchor="middle">pods (N)</text>`);
  parts.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + plotH}" stroke="#333"/>`);
  parts.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${M.top + plotH}" y2="${M.top + plotH}" stroke="#333"/>`);
  const series: readonly [keyof DelayPoint, string, string][] = [
    ['p50', '#1f77b4', 'p50'],
    ['p99', '#ff7f0e', 'p99'],
  ];
  series.forEach(([key, color, label], s) => {
    const pts = points.map((p, i) => `${x(i).toFixed(1)},${y(p[key]).toFixed(1)}`);
    parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
    points.forEach((p, i) => {
      parts.push(`<circle cx="${x(i).toFixed(1)}" cy="${y(p[key]).toFixed(1)}" r="4" fill="${color}"/>`);
      // The last point's label goes to its left, clear of the legend.
      const last = i === points.length - 1 && points.length > 1;
      const lx = (x(i) + (last ? -8 : 6)).toFixed(1);
      const ly = (y(p[key]) - 8).toFixed(1);
      parts.push(`<text x="${lx}" y="${ly}" text-anchor="${last ? 'end' : 'start'}" fill="${color}">${esc(fmtMs(p[key]))}</text>`);
    });
    const ly = M.top + plotH / 2 + 30 + s * 18;
    parts.push(`<line x1="${M.left + plotW + 8}" x2="${M.left + plotW + 28}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<text x="${M.left + plotW + 34}" y="${ly}" dominant-baseline="middle">${label} first hook</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
