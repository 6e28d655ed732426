// cellblock stats [CONTAINER...] — what containers use, as `docker stats`
// shows it: CPU %, memory against its limit, block I/O and tasks, sampled
// every second (src/stats/). Without names: every running container, and the
// view follows them as they start and end (with --all: every container);
// with names: those, whatever becomes of them.
//
//   on a terminal     a live view (ink), until q or ctrl-c
//   otherwise         a table every second, until interrupted (docker streams too)
//   --no-stream       two samples a second apart, one table, done
import { setTimeout as sleep } from 'node:timers/promises';
import { findRecord, listRecords, shortId, type ContainerRecord } from '../runtime/records.js';
import { cpuPercent, sampleContainer, type Sample } from '../stats/sample.js';
import { fail } from './fail.js';
import { bytesSize, decimalSize, formatList, parseListFormat } from './format.js';

export interface StatsOptions {
  all?: boolean;
  stream: boolean;
  trunc: boolean;
  format?: string;
}

const DEFAULT_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';
const INTERVAL_MS = 1000;

/** One container in one round of samples. */
export interface Entry {
  /** As the user named it, or its short id when they did not. */
  container: string;
  id: string;
  name: string;
  /** running: SAMPLE is its usage now; stopped: it exists and is not running; removed: it is gone since we started. */
  state: 'running' | 'stopped' | 'removed';
  sample?: Sample;
  /** undefined until it has been sampled twice. */
  cpu?: number;
}

export async function stats(references: string[], options: StatsOptions): Promise<void> {
  const format = parseListFormat(options.format, DEFAULT_TABLE);
  const next = sampler(references, options.all ?? false);
  const show = (entries: Entry[]) => formatList(format, entries.map((entry) => row(entry, options.trunc)), HEADER);
  const first = next(); // CPU % needs a second round
  const firstTable = show(first); // and a bad template fails now, not in a second

  if (process.stdout.isTTY && options.stream) {
    const { liveView } = await import('./stats-view.js');
    return liveView(firstTable, () => show(next()), format.table, INTERVAL_MS);
  }
  // A reader that goes away (`stats | head`) ends us; nothing is left to tidy.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' ? process.exit(0) : fail(error)));
  if (!options.stream && !first.some((entry) => entry.state === 'running')) {
    process.stdout.write(firstTable); // nothing to measure twice
    return;
  }
  do {
    await sleep(INTERVAL_MS);
    process.stdout.write(show(next()));
  } while (options.stream);
}

/**
 * A function that samples the containers to show, once per call, and
 * remembers each one's last sample for the next call's CPU %. Names are
 * resolved now (one that does not exist is an error), by id afterwards: a
 * rename does not lose the container.
 */
function sampler(references: string[], all: boolean): () => Entry[] {
  const named = references.map((reference) => {
    const { id, name } = findRecord(reference);
    return { container: reference, id, name };
  });
  let previous = new Map<string, Sample>();
  return () => {
    const records = listRecords();
    const targets: { container: string; id: string; name: string; record?: ContainerRecord }[] = named.length > 0
      ? named.map((target) => ({ ...target, record: records.find((r) => r.id === target.id) }))
      : records.filter((r) => all || r.status === 'running').map((record) => ({ container: shortId(record.id), id: record.id, name: record.name, record }));
    const current = new Map<string, Sample>();
    const entries = targets.map(({ container, id, name, record }): Entry => {
      const sample = record && sampleContainer(record);
      if (sample) current.set(id, sample);
      return {
        container,
        id,
        name: record?.name ?? name, // (renamed meanwhile: the new name; removed: the last one known)
        state: sample ? 'running' : record ? 'stopped' : 'removed',
        sample,
        cpu: sample && cpuPercent(previous.get(id), sample),
      };
    });
    previous = current; // an ended container starts afresh if it runs again
    return entries;
  };
}

const percent = (value: number) => `${value.toFixed(2)}%`;

/**
 * ENTRY as docker's stats formatter shows it (keys in its order, for --format
 * json). A container that is not running shows zeros, as docker's daemon
 * reports it; one removed meanwhile, or a figure its cgroup does not keep,
 * shows "--". NET I/O is always "--": containers share the host's network
 * for now, so there is nothing of their own to count.
 */
export function row(entry: Entry, trunc: boolean) {
  const { state, sample, cpu } = entry;
  const shown = <T>(value: T | undefined, text: (value: T) => string, zero: string, unknown = '--') =>
    state === 'stopped' ? zero : value === undefined ? unknown : text(value);
  return {
    BlockIO: shown(sample?.blockIO, (io) => `${decimalSize(io.read, 3)} / ${decimalSize(io.written, 3)}`, '0B / 0B'),
    CPUPerc: shown(cpu, percent, percent(0)),
    Container: entry.container,
    ID: trunc ? shortId(entry.id) : entry.id,
    MemPerc: shown(sample?.memory, (m) => percent(m.limit > 0 ? (m.used / m.limit) * 100 : 0), percent(0)),
    MemUsage: shown(sample?.memory, (m) => `${bytesSize(m.used)} / ${bytesSize(m.limit)}`, '0B / 0B', '-- / --'),
    Name: entry.name,
    NetIO: '--',
    PIDs: shown(sample?.pids, String, '0'),
  };
}

/** The same fields, holding their column titles: the table's header row. */
const HEADER: Record<keyof ReturnType<typeof row>, string> = {
  BlockIO: 'BLOCK I/O',
  CPUPerc: 'CPU %',
  Container: 'CONTAINER',
  ID: 'CONTAINER ID',
  MemPerc: 'MEM %',
  MemUsage: 'MEM USAGE / LIMIT',
  Name: 'NAME',
  NetIO: 'NET I/O',
  PIDs: 'PIDS',
};
