// cellblock ps — list containers, as `docker ps` does.
import { listRecords, shortId, type ContainerRecord } from '../runtime/records.js';

export function ps(options: { all?: boolean; quiet?: boolean }): void {
  const records = listRecords().filter((r) => options.all || r.status === 'running');
  if (options.quiet) {
    for (const r of records) process.stdout.write(`${shortId(r.id)}\n`);
    return;
  }
  const rows = [
    ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'NAMES'],
    ...records.map((r) => [shortId(r.id), r.image ?? r.rootfs, quoteCommand(r.command), `${ago(r.created)} ago`, describeStatus(r), r.name]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  for (const row of rows) process.stdout.write(row.map((cell, i) => cell.padEnd(widths[i])).join('   ').trimEnd() + '\n');
}

function quoteCommand(command: string[]): string {
  const text = command.join(' ');
  return JSON.stringify(text.length > 20 ? `${text.slice(0, 19)}…` : text);
}

function describeStatus(record: ContainerRecord): string {
  if (record.status === 'running') return `Up ${ago(record.startedAt ?? record.created)}`;
  if (record.status === 'created') return 'Created';
  const code = record.exitCode === undefined ? '' : ` (${record.exitCode})`;
  return record.finishedAt ? `Exited${code} ${ago(record.finishedAt)} ago` : `Exited${code}`;
}

/** "3 seconds", "5 minutes", "2 hours", "4 days". */
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
