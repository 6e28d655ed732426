// The processes of a container, found the way the kernel groups them: by
// the pid namespace they live in. `top` and `stats` (without a cgroup of the
// container's own) both start here.
import { readdirSync, readlinkSync } from 'node:fs';

/**
 * Host pids of the processes in the same pid namespace as PID.
 *
 * readlink /proc/P/ns/pid names a namespace by the inode number of its nsfs
 * file ("pid:[4026532712]"). That number is only an identity while the
 * namespace exists: when its last process is gone the kernel frees the inode,
 * and a namespace made later may get the same number. The container's pid 1
 * keeps its namespace alive, so the caller checks it still runs after the scan.
 */
export function pidsInNamespaceOf(pid: number): Set<number> {
  const namespace = readlinkSync(`/proc/${pid}/ns/pid`);
  const pids = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/pid`) === namespace) pids.add(Number(entry));
    } catch {
      // Gone meanwhile, or another user's process (only its owner may read its ns links).
    }
  }
  return pids;
}
