// One look at what a running container uses: CPU time so far, memory, block
// I/O and tasks. Two places know, and a record says which one to ask:
//
//   - its own cgroup v2 directory (record.cgroup, on hosts that delegate
//     cgroups to users): the kernel keeps the totals there — src/cgroups/usage.ts;
//   - otherwise the processes of its pid namespace, each one's counters in
//     /proc added up — src/stats/procfs.ts.
//
// CPU % needs two samples: the CPU time used between them over the wall time
// between them. That is a percent of ONE core, so a container busy on two
// cores shows 200 % — as `docker stats` does (docker divides by the whole
// machine's CPU time, then multiplies by the number of CPUs: the same figure).
import { isAlive, type ContainerRecord } from '../runtime/records.js';
import { cgroupUsage } from '../cgroups/usage.js';
import { namespaceUsage } from './procfs.js';

export interface Usage {
  /** CPU time (user + system) its processes have used so far, ended ones included, in microseconds. */
  cpuMicros: number;
  /** Bytes in use and the most it may use; unknown when its cgroup has no memory controller. */
  memory?: { used: number; limit: number };
  /** Bytes read from and written to block devices so far; unknown without the io controller. */
  blockIO?: { read: number; written: number };
  /** Tasks (processes and their threads); unknown without the pids controller. */
  pids?: number;
}

export interface Sample extends Usage {
  /** When it was taken, on a monotonic clock (a clock set back cannot make CPU % negative), in microseconds. */
  at: number;
}

/** A sample of RECORD's container, or undefined when it is not running (any more). */
export function sampleContainer(record: ContainerRecord): Sample | undefined {
  if (record.status !== 'running' || !isAlive(record)) return undefined;
  const at = Number(process.hrtime.bigint() / 1000n);
  const usage = record.cgroup ? cgroupUsage(record.cgroup) : namespaceUsage(record.pid!);
  // The namespace scan knows the container's processes by an inode number
  // that is only theirs while pid 1 lives (src/runtime/pid-namespace.ts).
  return isAlive(record) ? { ...usage, at } : undefined;
}

/** CPU time over wall time between two samples, in percent of one core; undefined without an earlier sample. */
export function cpuPercent(previous: Sample | undefined, current: Sample): number | undefined {
  if (!previous) return undefined;
  const wall = current.at - previous.at;
  const cpu = current.cpuMicros - previous.cpuMicros;
  // cpu < 0: a process whose time was not handed to a parent inside the
  // container ended (src/stats/procfs.ts), or the container restarted.
  return wall > 0 && cpu > 0 ? (cpu / wall) * 100 : 0;
}
