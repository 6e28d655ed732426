// A container's log: one JSON object per line, as docker's json-file driver
// writes it — {"log":"tick\n","stream":"stdout","time":"2026-11-23T08:00:00.123Z"}.
// The supervisor appends (src/supervisor/log-writer.ts); `cellblock logs` reads.
// Keeping stdout and stderr as separate "stream"s is what lets `logs` give
// each back on its own descriptor.
import { join } from 'node:path';

export type LogStream = 'stdout' | 'stderr';

export interface LogEntry {
  log: string;
  stream: LogStream;
  time: string;
}

/** Beside the writable layer, so it lives exactly as long as the container. */
export const logPath = (storage: string): string => join(storage, 'ctr.log');

export const formatEntry = (entry: LogEntry): string => JSON.stringify(entry) + '\n';

/** One line of the file; undefined for a line cut short (a supervisor killed mid-write). */
export function parseEntry(line: string): LogEntry | undefined {
  try {
    const entry = JSON.parse(line) as LogEntry;
    return typeof entry.log === 'string' && (entry.stream === 'stdout' || entry.stream === 'stderr') ? entry : undefined;
  } catch {
    return undefined;
  }
}
