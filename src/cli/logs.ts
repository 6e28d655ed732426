// cellblock logs — what a container printed, from the log its supervisor
// writes (src/runtime/log-file.ts): stdout lines back to our stdout, stderr
// lines to our stderr.
import { closeSync, openSync, readSync, watch } from 'node:fs';
import { logPath, parseEntry, type LogEntry } from '../runtime/log-file.js';
import { findRecord } from '../runtime/records.js';
import { connectSupervisor, endOf } from '../supervisor/client.js';

export interface LogsOptions {
  follow?: boolean;
  tail: string;
  timestamps?: boolean;
  since?: string;
  until?: string;
}

export async function logs(reference: string, options: LogsOptions): Promise<void> {
  const tail = parseTail(options.tail);
  const since = options.since === undefined ? undefined : parseTime(options.since, '--since');
  const until = options.until === undefined ? undefined : parseTime(options.until, '--until');
  const record = findRecord(reference);
  const wanted = (entry: LogEntry) => (since === undefined || Date.parse(entry.time) >= since) && (until === undefined || Date.parse(entry.time) < until);
  const print = (entry: LogEntry) => {
    const text = options.timestamps ? `${entry.time} ${entry.log}` : entry.log;
    (entry.stream === 'stdout' ? process.stdout : process.stderr).write(text);
  };

  const reader = new LogReader(logPath(record.storage));
  try {
    const existing = reader.readNew().filter(wanted);
    for (const entry of tail === undefined ? existing : existing.slice(Math.max(0, existing.length - tail))) print(entry);
    if (!options.follow || until !== undefined) return;
    // Follow: the kernel tells us when the file grows (inotify, through
    // fs.watch), and the supervisor's socket closing tells us the container
    // has ended — no polling either way.
    const line = await connectSupervisor(record, { stdin: false, output: false });
    if (!line) return void reader.readNew().filter(wanted).forEach(print);
    const watcher = watch(reader.path, () => reader.readNew().filter(wanted).forEach(print));
    reader.readNew().filter(wanted).forEach(print); // anything written before the watch began
    await endOf(line);
    watcher.close();
    reader.readNew().filter(wanted).forEach(print);
  } finally {
    reader.close();
  }
}

/** Reads a growing log file from where it last stopped, whole lines only. */
class LogReader {
  private fd: number | undefined;
  private position = 0;
  private partial: Buffer = Buffer.alloc(0);

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'r');
    } catch (error) {
      // A container that never started has no log yet: nothing to show.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  readNew(): LogEntry[] {
    if (this.fd === undefined) return [];
    const chunks = [this.partial];
    const chunk = Buffer.alloc(64 * 1024);
    for (let n; (n = readSync(this.fd, chunk, 0, chunk.length, this.position)) > 0; this.position += n) chunks.push(Buffer.from(chunk.subarray(0, n)));
    const bytes = Buffer.concat(chunks);
    // Decode whole lines only: a read may end inside a multi-byte character, a newline never does.
    const end = bytes.lastIndexOf(0x0a) + 1;
    this.partial = bytes.subarray(end);
    return bytes.toString('utf8', 0, end).split('\n').flatMap((line) => (line ? parseEntry(line) ?? [] : []));
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
  }
}

function parseTail(value: string): number | undefined {
  if (value === 'all') return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`--tail: "${value}" is not a number of lines (or "all")`);
  return Number(value);
}

/**
 * docker's time arguments: an RFC 3339 date ("2026-11-23T08:00:00Z", or just
 * a date), Unix seconds ("1763884800"), or a duration back from now ("10m",
 * "1h30m", "45s"). Returns milliseconds since the epoch.
 */
export function parseTime(value: string, from: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const duration = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(value);
  if (duration && value !== '') {
    const [, hours = '0', minutes = '0', seconds = '0'] = duration;
    return now - ((Number(hours) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000;
  }
  const date = Date.parse(value);
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(date)) return date;
  throw new Error(`${from}: "${value}" is not a time (use e.g. 2026-11-23T08:00:00Z, 1763884800 or 10m)`);
}
