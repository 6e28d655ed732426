// What a container used, added up from /proc over the processes of its pid
// namespace — for hosts where it has no cgroup of its own (cgroup v1 or
// hybrid hosts, or v2 without delegation). The kernel's per-process counters
// are enough, with two facts that make the sums honest:
//
//   - When a parent reaps (wait()s for) a child, the kernel adds the child's
//     CPU time to the parent's cutime/cstime and its I/O to the parent's
//     /proc/PID/io. So "every live process, with what its reaped children
//     used" counts ended processes too, as long as their parent is inside:
//     the container's pid 1 reaps its orphans. (A process `exec` started
//     hands its time to nsenter, outside, when it ends: that much is lost.)
//   - A page mapped by several processes (busybox's text, shared libraries)
//     is in each one's RSS. PSS ("proportional set size") splits such a page
//     among its N users, 1/N each, so a sum over processes counts it once.
//
// These files need ptrace-read access (PTRACE_MODE_READ) to the process:
// we have it, as the owner of the container's user namespace holds every
// capability inside it, CAP_SYS_PTRACE included.
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { containerPids } from '../runtime/pid-namespace.js';
import { statFields } from '../runtime/proc-stat.js';
import type { Usage } from './sample.js';

/**
 * /proc/PID/stat counts CPU time in clock ticks of USER_HZ, which the kernel
 * fixes at 100 a second for user space on every architecture Node runs on
 * (it is what `getconf CLK_TCK` prints; the kernel's own HZ may differ).
 */
const TICKS_PER_SECOND = 100;

export function namespaceUsage(pid: number): Usage {
  let ticks = 0;
  let pss = 0;
  let read = 0;
  let written = 0;
  let tasks = 0;
  for (const member of containerPids(pid)) {
    const stat = readProcFile(member, 'stat');
    if (stat === undefined) continue; // ended since the scan
    const times = processTimes(stat);
    ticks += times.ticks;
    tasks += times.threads;
    pss += proportionalSetSize(readProcFile(member, 'smaps_rollup') ?? '');
    const io = ioCounters(readProcFile(member, 'io') ?? '');
    read += io.read;
    written += io.written;
  }
  return {
    cpuMicros: (ticks * 1_000_000) / TICKS_PER_SECOND,
    memory: { used: pss, limit: totalmem() },
    blockIO: { read, written },
    pids: tasks,
  };
}

/**
 * /proc/PID/FILE, or undefined when the process is gone — or has become a
 * zombie, whose memory is already freed (smaps_rollup then says ESRCH).
 */
function readProcFile(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return undefined;
    throw new Error(`/proc/${pid}/${file}: ${code ?? (error as Error).message}`);
  }
}

/**
 * From /proc/PID/stat: utime + stime + cutime + cstime (fields 14–17, the
 * process's threads and its reaped children) and num_threads (field 20).
 */
export function processTimes(stat: string): { ticks: number; threads: number } {
  const text = statFields(stat);
  const field = (n: number) => Number(text(n));
  return { ticks: field(14) + field(15) + field(16) + field(17), threads: field(20) };
}

/** "Pss: 1234 kB" from /proc/PID/smaps_rollup, in bytes (the kernel's kB are KiB). */
export function proportionalSetSize(rollup: string): number {
  const match = /^Pss:\s+(\d+) kB$/m.exec(rollup);
  return match ? Number(match[1]) * 1024 : 0;
}

/**
 * read_bytes and write_bytes from /proc/PID/io: what reached the block layer
 * (rchar and wchar count every read() and write(), page cache hits and pipes too).
 */
export function ioCounters(io: string): { read: number; written: number } {
  const value = (key: string) => Number(new RegExp(`^${key}: (\\d+)$`, 'm').exec(io)?.[1] ?? 0);
  return { read: value('read_bytes'), written: value('write_bytes') };
}
