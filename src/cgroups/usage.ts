// What a container used, as its own cgroup v2 directory says: the kernel
// charges every task in the cgroup, ended ones too, so these are totals no
// scan of /proc can miss. A file is there only when its controller is
// enabled for the cgroup (the parent's cgroup.subtree_control lists it);
// cpu.stat's usage_usec is always there, the others may not be.
//
//   cat cpu.stat        usage_usec 1523044            (µs of CPU, all tasks)
//   cat memory.current  8192000                       (bytes charged)
//   cat memory.stat     … inactive_file 4096000 …
//   cat memory.max      max | 33554432
//   cat pids.current    3                             (tasks: threads count)
//   cat io.stat         8:0 rbytes=1459200 wbytes=31477 rios=192 wios=35 …
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import type { Usage } from '../stats/sample.js';

export function cgroupUsage(dir: string): Usage {
  const read = (file: string) => readControlFile(join(dir, file));
  const cpuStat = read('cpu.stat');
  if (cpuStat === undefined) throw new Error(`${join(dir, 'cpu.stat')}: ENOENT (the container's cgroup is gone)`);
  const current = read('memory.current');
  const pids = read('pids.current');
  const io = read('io.stat');
  return {
    cpuMicros: keyedValues(cpuStat).get('usage_usec') ?? 0,
    memory: current === undefined ? undefined : {
      used: memoryInUse(Number(current), keyedValues(read('memory.stat') ?? '')),
      limit: memoryLimit(read('memory.max') ?? 'max', totalmem()),
    },
    blockIO: io === undefined ? undefined : ioBytes(io),
    pids: pids === undefined ? undefined : Number(pids),
  };
}

/** The text of a cgroup control file, or undefined when its controller is not enabled here. */
function readControlFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** A "flat keyed" file (cpu.stat, memory.stat): one "KEY VALUE" a line. */
export function keyedValues(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined) values.set(key, Number(value));
  }
  return values;
}

/**
 * memory.current counts the page cache too. Its inactive part (file pages
 * not touched lately) is the first thing the kernel takes back under
 * pressure, so docker leaves it out of "usage": so do we.
 */
export function memoryInUse(current: number, stat: Map<string, number>): number {
  const inactiveFile = stat.get('inactive_file') ?? 0;
  return inactiveFile < current ? current - inactiveFile : current;
}

/** memory.max: bytes, or "max" for no limit — then the machine's memory is the limit, as docker shows it. */
export function memoryLimit(text: string, hostMemory: number): number {
  return text.trim() === 'max' ? hostMemory : Number(text);
}

/** io.stat: a line per device ("MAJ:MIN rbytes=… wbytes=… …"); the bytes of all devices added up. */
export function ioBytes(text: string): { read: number; written: number } {
  let read = 0;
  let written = 0;
  for (const match of text.matchAll(/\b([rw])bytes=(\d+)/g)) {
    if (match[1] === 'r') read += Number(match[2]);
    else written += Number(match[2]);
  }
  return { read, written };
}
