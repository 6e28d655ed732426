// The processes of a container, found the way the kernel groups them: by
// the pid namespace they live in (or, with --no-isolate=pid, by their
// session). `top` and `stats` (without a cgroup of the container's own) both
// start here.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { statFields } from './proc-stat.js';

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
  return pidsWhere((candidate) => readlinkSync(`/proc/${candidate}/ns/pid`) === namespace);
}

/**
 * Host pids of the processes for which TEST holds. A process that ends
 * during the scan (or another user's, whose ns links only its owner may
 * read) makes TEST throw: it is simply not counted.
 */
function pidsWhere(test: (pid: number) => boolean): Set<number> {
  const pids = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (test(Number(entry))) pids.add(Number(entry));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return pids;
}

/** The session of PID: field 6 of /proc/PID/stat. */
export function sessionOf(pid: number): number {
  return Number(statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'))(6));
}

/**
 * Host pids of the processes in session SID. A container that shares the
 * host's pid namespace (--no-isolate=pid) has no namespace to be found by;
 * what it still has is a session of its own: the supervisor starts its
 * unshare with setsid (detached), and every process the command starts is
 * born in it — unless it calls setsid() itself, as a daemon does, and
 * leaves. Only a pid namespace (or a cgroup) holds on to those.
 *
 * The number SID stays reserved while any process is in that session, so a
 * member found here is one of ours; the host hands a freed number out again
 * only after counting through every other pid up to pid_max.
 */
export function pidsInSession(sid: number): Set<number> {
  return pidsWhere((pid) => sessionOf(pid) === sid);
}

/** The container whose payload is PID: its pid namespace's processes, or, when that namespace is ours (the host's), its session's. */
export function containerPids(pid: number): Set<number> {
  if (readlinkSync(`/proc/${pid}/ns/pid`) !== readlinkSync('/proc/self/ns/pid')) return pidsInNamespaceOf(pid);
  const session = sessionOf(pid);
  const pids = pidsInSession(session);
  // Its leader is unshare (without -t): cellblock's plumbing, outside a pid namespace too.
  if (session !== pid) pids.delete(session);
  return pids;
}

/**
 * After the end of a container that shared the host's pid namespace: SIGKILL
 * what is left of its session SID, as the kernel does to a pid namespace
 * whose pid 1 has exited. By then the session's leader (unshare, or with -t
 * the command) is gone, so a process whose pid IS SID is a stranger that got
 * the number once our session had emptied: then there is nothing of ours left.
 */
export function killSession(sid: number): void {
  const members = pidsInSession(sid);
  if (members.has(sid)) return;
  for (const pid of members) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
}
