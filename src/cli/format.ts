// docker's --format for lists (`ps`, and any list verb that wants it):
//
//   table            the verb's default columns, with a header row
//   table TEMPLATE   your own columns: \t in TEMPLATE separates them
//   json             one JSON object per line ({{json .}})
//   TEMPLATE         rendered once per item, one line each, no header
//
// As docker does, a literal \t or \n typed in the format (a shell passes the
// two characters through) becomes a tab or a newline, and the template is
// trimmed of spaces at both ends.
import { parseTemplate, render, TemplateError, type Template } from './template.js';

export interface ListFormat {
  /** As typed, for error messages. */
  text: string;
  table: boolean;
  template: Template;
}

/** Parse --format TEXT (DEFAULT_TABLE when it is missing or just "table"); a bad template throws one line. */
export function parseListFormat(text: string | undefined, defaultTable: string): ListFormat {
  const format = text === undefined || text.trim() === 'table' ? defaultTable : text.trim() === 'json' ? '{{json .}}' : text;
  const table = format.startsWith('table');
  const body = (table ? format.slice('table'.length) : format).trim().replaceAll('\\t', '\t').replaceAll('\\n', '\n');
  try {
    return { text: text ?? format, table, template: parseTemplate(body) };
  } catch (error) {
    throw formatError(format, error);
  }
}

/**
 * ROWS rendered with FORMAT. HEADER is a row whose fields hold the column
 * titles: it makes the table's header, and checks a bare template's fields
 * even when there is no row to show (an unknown field is an error either way).
 */
export function formatList(format: ListFormat, rows: unknown[], header: unknown): string {
  try {
    const headerLine = render(format.template, header);
    const lines = rows.map((row) => render(format.template, row));
    if (!format.table) return lines.map((line) => `${line}\n`).join('');
    return formatTable([headerLine, ...lines].flatMap((line) => line.split('\n')).map((line) => line.split('\t')));
  } catch (error) {
    throw formatError(format.text, error);
  }
}

/**
 * Rows of cells as aligned columns, three spaces apart: docker's table
 * layout. MIN_WIDTH, counting the three spaces, is the narrowest a column
 * gets (docker top uses 20).
 */
export function formatTable(rows: string[][], minWidth = 0): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? minWidth - 3, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('   ').trimEnd() + '\n').join('');
}

function formatError(format: string, error: unknown): Error {
  if (!(error instanceof TemplateError)) return error as Error;
  return new Error(`invalid --format ${JSON.stringify(format)}: ${error.message}`);
}

/** How long ago ISO was, as docker's tables say it: "3 seconds", "5 minutes", "2 hours", "4 days". */
export function ago(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  const units: [number, string][] = [[86400, 'day'], [3600, 'hour'], [60, 'minute'], [1, 'second']];
  for (const [size, unit] of units) {
    if (seconds >= size || size === 1) {
      const n = Math.floor(seconds / size);
      return `${n} ${unit}${n === 1 ? '' : 's'}`;
    }
  }
  return '0 seconds';
}

/** docker's memory sizes (go-units BytesSize): powers of 1024, 4 significant digits — "12.5MiB", "1.953GiB". */
export const bytesSize = (bytes: number): string => scaled(bytes, 1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'], 4);

/**
 * docker's other sizes (go-units HumanSizeWithPrecision): powers of 1000, PRECISION significant
 * digits — 4 for most ("1.234kB", "0B"), 3 for stats' I/O ("1.23kB").
 */
export const decimalSize = (bytes: number, precision = 4): string => scaled(bytes, 1000, ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'], precision);

function scaled(value: number, base: number, units: string[], precision: number): string {
  let unit = 0;
  while (value >= base && unit < units.length - 1) {
    value /= base;
    unit++;
  }
  return `${goFloat(value, precision)}${units[unit]}`;
}

/**
 * Go's %.Ng: N significant digits, trailing zeros dropped, and an exponent
 * when the number needs one to fit (so 999.9 bytes prints "1e+03B", as docker does).
 */
function goFloat(value: number, precision: number): string {
  const [digits, exponentText] = value.toExponential(precision - 1).split('e');
  const exponent = Number(exponentText);
  const trim = (text: string) => (text.includes('.') ? text.replace(/\.?0+$/, '') : text);
  if (exponent < -4 || exponent >= precision) return `${trim(digits)}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  return trim(value.toFixed(Math.max(0, precision - 1 - exponent)));
}
