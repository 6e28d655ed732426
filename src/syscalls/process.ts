// Typed wrappers for process identity and execution.
import { check, SyscallError } from './errors.js';
import { lastErrno, libc } from './libc.js';
import { CLONE_NEWCGROUP, PR_SET_PDEATHSIG, SYS } from './constants.js';

/** hostname NAME (in the current uts namespace) */
export function sethostname(name: string): void {
  check(libc.sethostname(name, Buffer.byteLength(name)), 'sethostname', name);
}

/** cd DIR — process.chdir() exists, but it would report a Node error, not an errno. */
export function chdir(path: string): void {
  check(libc.chdir(path), 'chdir', path);
}

/**
 * chroot DIR: "/" means DIR for this process from now on, for absolute
 * symlinks and ".." too — so a path that a container wrote (a symlink to
 * "/../../etc") cannot lead to the host's files. Needs CAP_SYS_CHROOT in
 * the process's user namespace, which root of a namespace of our own has.
 * Unlike unshare, or setns into a user or mount namespace, it is allowed
 * to a multithreaded process (all
 * threads share the new root).
 */
export function chroot(path: string): void {
  check(libc.chroot(path), 'chroot', path);
}

/** Real, effective and saved ids at once, so no privileged saved id is left behind. */
export function setresuid(uid: number): void {
  check(libc.setresuid(uid, uid, uid), 'setresuid', String(uid));
}

export function setresgid(gid: number): void {
  check(libc.setresgid(gid, gid, gid), 'setresgid', String(gid));
}

/** Shell: setpriv --pdeathsig SIGNAL — the signal this process gets when its parent dies. */
export function setParentDeathSignal(signal: number): void {
  check(libc.prctl(PR_SET_PDEATHSIG, signal, 0, 0, 0), 'prctl', 'PR_SET_PDEATHSIG');
}

export function setgroups(gids: readonly number[]): void {
  check(libc.setgroups(gids.length, gids.length ? [...gids] : null), 'setgroups', gids.join(',') || 'none');
}

/**
 * Replace this process with PATH. It only returns by throwing: on success the
 * Node process that called it no longer exists.
 */
export function execve(path: string, argv: readonly string[], env: readonly string[]): never {
  libc.execve(path, [...argv, null], [...env, null]);
  throw new SyscallError('execve', path, lastErrno());
}

/**
 * unshare(CLONE_NEWCGROUP): a cgroup namespace whose root is the cgroup this
 * process is in NOW. Unlike a user or mount namespace, the kernel lets a
 * multithreaded process (Node) make one: it only changes which cgroup paths
 * the calling thread and its future children see, not anything the other
 * threads share. (Shell: unshare --cgroup.)
 */
export function unshareCgroupNamespace(): void {
  check(libc.unshare(CLONE_NEWCGROUP), 'unshare', 'CLONE_NEWCGROUP');
}

/**
 * setns(FD, TYPE): join the namespace FD (an open /proc/PID/ns/* file) is.
 * Into a user or mount namespace the kernel refuses it to a multithreaded
 * process (EINVAL: Node can never), but a pid namespace is another matter:
 * joining one changes only where the calling thread's CHILDREN will be born
 * (its own pid cannot change), and a cgroup namespace only what the calling
 * thread sees. WHAT names the namespace in an error.
 */
export function setns(fd: number, type: number, what: string): void {
  check(libc.setns(fd, type), 'setns', what);
}

/**
 * The working directory as the getcwd SYSTEM CALL reports it: the only
 * place the kernel says "(unreachable)/…" for a directory that is not below
 * this process's root. (readlink /proc/self/cwd omits the mark, and glibc's
 * getcwd(3) falls back to walking "..", so neither can tell.)
 */
export function getcwdSyscall(): string {
  const buffer = Buffer.alloc(4096);
  const length = Number(libc.syscall(SYS.getcwd, 'void *', buffer, 'size_t', buffer.length));
  check(length, 'getcwd', '');
  return buffer.subarray(0, length - 1).toString('utf8'); // the length counts the NUL
}
