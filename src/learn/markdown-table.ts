// A markdown table at the terminal's width. Columns keep their natural width
// when the table fits; otherwise the widest ones give up columns first (each
// cell then wraps inside its column), and when even that cannot fit, every
// row becomes a small "header: value" block, which reads well at any width.
import { blankLine, span, spansWidth, wrapSpans, type Line, type Span } from './markdown-wrap.js';

const SEPARATOR = ' │ ';
/** Narrower than this, a column's words are cut mid-word on most lines: stack the rows instead. */
const MIN_COLUMN = 6;

/**
 * Widths for columns whose contents want NATURAL columns, within AVAILABLE:
 * the largest cap C such that min(natural, C) summed fits ("water filling"),
 * so short columns keep their width and long ones share what is left.
 */
export function columnWidths(natural: readonly number[], available: number): number[] {
  const total = natural.reduce((a, b) => a + b, 0);
  if (total <= available) return [...natural];
  let cap = Math.max(...natural);
  while (cap > 1 && natural.reduce((sum, w) => sum + Math.min(w, cap), 0) > available) cap--;
  const widths = natural.map((w) => Math.min(w, cap));
  // What the cap left unused (it moves in whole columns per column) goes to the capped ones.
  let spare = available - widths.reduce((a, b) => a + b, 0);
  for (let i = 0; spare > 0 && i < widths.length; i++) {
    if (natural[i] > widths[i]) {
      widths[i]++;
      spare--;
    }
  }
  return widths;
}

/** One row: each cell wrapped in its column, padded, the cells joined by the separator. */
function rowLines(cells: readonly Span[][], widths: readonly number[]): Line[] {
  const wrapped = cells.map((cell, i) => wrapSpans(cell, widths[i]));
  const height = Math.max(...wrapped.map((lines) => lines.length));
  const lines: Line[] = [];
  for (let row = 0; row < height; row++) {
    const spans: Span[] = [];
    wrapped.forEach((cellLines, i) => {
      const part = cellLines[row] ?? [];
      if (i > 0) spans.push(span(SEPARATOR, 'dim'));
      spans.push(...part);
      // The last column needs no padding: trailing spaces only widen the line.
      if (i < wrapped.length - 1) spans.push(span(' '.repeat(widths[i] - spansWidth(part))));
    });
    lines.push({ prefix: [], spans });
  }
  return lines;
}

const rule = (widths: readonly number[]): Line => ({
  prefix: [],
  spans: [span(widths.map((w) => '─'.repeat(w)).join('─┼─'), 'dim')],
});

/** HEADER's cells drawn bold, keeping code spans as code. */
const asHead = (cell: Span[]): Span[] => cell.map((s) => (s.style === 'text' ? span(s.text, 'table-head') : s));

/** Each row as "header: value" lines, a blank line between rows. */
function stacked(header: readonly Span[][], rows: readonly Span[][][], width: number): Line[] {
  const lines: Line[] = [];
  rows.forEach((row, r) => {
    if (r > 0) lines.push(blankLine());
    row.forEach((cell, i) => {
      const label = [...asHead(header[i] ?? []), span(': ', 'dim')];
      for (const spans of wrapSpans([...label, ...cell], width)) lines.push({ prefix: [], spans });
    });
  });
  return lines;
}

/** The table with HEADER and ROWS (cells as styled spans) in lines of at most WIDTH columns. */
export function renderTable(header: readonly Span[][], rows: readonly Span[][][], width: number): Line[] {
  const columns = header.length;
  const available = width - SEPARATOR.length * (columns - 1);
  if (available < MIN_COLUMN * columns) return stacked(header, rows, width);
  const natural = header.map((_, i) => Math.max(1, ...[header, ...rows].map((row) => spansWidth(row[i] ?? []))));
  const widths = columnWidths(natural, available);
  const body = rows.map((row) => rowLines(header.map((_, i) => row[i] ?? []), widths));
  // When a row takes several lines, rules between rows show where each one ends.
  const ruled = body.some((lines) => lines.length > 1);
  return [
    ...rowLines(header.map(asHead), widths),
    rule(widths),
    ...body.flatMap((lines, i) => (ruled && i > 0 ? [rule(widths), ...lines] : lines)),
  ];
}
