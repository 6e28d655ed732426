// cellblock top CONTAINER [ps OPTIONS] — the container's processes, as
// `docker top` shows them: the host's ps (default `ps -ef`), keeping the rows
// of processes that live in the container's pid namespace. Pids and users
// are the host's: pid 1 inside is some larger pid here, and a uid the
// container maps from /etc/subuid shows as a number like 100000.
import { spawnSync } from 'node:child_process';
import { containerPids } from '../runtime/pid-namespace.js';
import { findRecord, isAlive } from '../runtime/records.js';
import { formatTable } from './format.js';

export function top(reference: string, psOptions: string[]): void {
  const record = findRecord(reference);
  if (!isAlive(record)) throw new Error(`container ${reference} is not running`);
  const pids = containerPids(record.pid!);
  const args = psOptions.length > 0 ? psOptions : ['-ef'];
  const ps = spawnSync('ps', args, { encoding: 'utf8' });
  if (ps.error) throw new Error(`ps: ${(ps.error as NodeJS.ErrnoException).code ?? ps.error.message} (top needs the host's ps: apt-get install procps)`);
  if (ps.status !== 0) throw new Error(`ps ${args.join(' ')}: ${ps.stderr.trim().split('\n')[0] || `exit status ${ps.status}`}`);
  // A process that started after the scan above is not shown; one that ended is simply absent.
  if (!isAlive(record)) throw new Error(`container ${reference} is not running`);
  process.stdout.write(formatTable(pickRows(ps.stdout, pids, args), 20));
}

/**
 * ps's header and the rows whose PID column is one of PIDS, split into cells
 * as docker does: one per title, the last (the command) keeps its spaces.
 * With thread rows (ps -m), a "-" in the PID column belongs to the process above.
 */
function pickRows(output: string, pids: Set<number>, args: string[]): string[][] {
  const [header = '', ...lines] = output.split('\n');
  const titles = header.trim().split(/\s+/);
  const column = titles.indexOf('PID');
  if (column === -1) throw new Error(`ps ${args.join(' ')} shows no PID column, so the container's processes cannot be picked out`);
  const rows = [titles];
  let previousKept = false;
  for (const line of lines) {
    const fields = line.trim().split(/\s+/);
    if (line.trim() === '' || fields.length <= column) continue;
    const keep: boolean = fields[column] === '-' ? previousKept : pids.has(Number(fields[column]));
    if (keep) rows.push([...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')]);
    if (fields[column] !== '-') previousKept = keep;
  }
  return rows;
}
