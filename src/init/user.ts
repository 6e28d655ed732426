// Chapter 2 — who the payload runs as, inside the user namespace.
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { SIGKILL, SyscallError, chdir, getcwdSyscall, setParentDeathSignal, setgroups, setresgid, setresuid } from '../syscalls/index.js';
import { InitError } from './errors.js';
import { parseGroup, parsePasswd, resolveUser, type ResolvedUser } from './passwd.js';
import type { InitStep } from './pipeline.js';
import { readFileOrEmpty } from '../runtime/files.js';
import { isolates } from '../runtime/isolation.js';

export const switchUser: InitStep = {
  name: 'switch-user',
  chapter: 2,
  summary: "the payload's groups, gid and uid (-u), then its working directory (-w)",
  run(ctx) {
    const { spec } = ctx;
    if (!isolates(spec, 'user')) {
      // --no-isolate=user: no user namespace, so no root to switch from: the
      // command runs as you (a uid change would need CAP_SETUID on the host).
      if (!ctx.env.some((entry) => entry.startsWith('HOME='))) ctx.env.push(`HOME=${process.env.HOME ?? '/'}`);
      chdir(spec.workdir);
      return;
    }
    // Read after pivot_root: these are the container's files, not the host's.
    let user;
    try {
      user = resolveUser(spec.user.user, spec.user.group, parsePasswd(readFileOrEmpty('/etc/passwd')), parseGroup(readFileOrEmpty('/etc/group')));
    } catch (error) {
      throw new InitError((error as Error).message);
    }
    if (!ctx.env.some((entry) => entry.startsWith('HOME='))) ctx.env.push(`HOME=${user.home}`);

    // Created while we are still root inside, as docker does for a missing -w.
    makeWorkdir(spec.workdir);

    becomeUser(user, readFileSync('/proc/self/setgroups', 'utf8').trim() === 'allow');
    // unshare --kill-child asked the kernel to SIGKILL us when unshare dies,
    // but the kernel forgets that request whenever the effective uid or gid
    // changes (prctl(2)), as it just did. Ask again, or a container run with
    // -u would outlive a killed cellblock. (If unshare died in the
    // microseconds between the two calls, nothing tells us: getppid() is 0
    // for pid 1 of a pid namespace either way.)
    setParentDeathSignal(SIGKILL);
    enterWorkdir(spec.workdir);
  },
};

/**
 * Drop root for USER: its groups, gid and uid (exec's init does the same,
 * src/runtime/exec-init.ts). SETGROUPS_ALLOWED is what /proc/PID/setgroups
 * of the user namespace says.
 */
export function becomeUser(user: ResolvedUser, setgroupsAllowed: boolean): void {
  // With a single-id map the parent had to write "deny" to
  // /proc/PID/setgroups (the kernel demands it before an unprivileged
  // gid_map), and setgroups() would fail: the groups stay as inherited.
  if (setgroupsAllowed) setgroups(user.groups);
  // Group first: once the uid is not 0, we may no longer change the gid.
  // Shell: setpriv --regid GID --reuid UID (or su/runuser)
  withMappingHint(() => setresgid(user.gid), `group ${user.gid}`);
  withMappingHint(() => setresuid(user.uid), `user ${user.uid}`);
}

/** cd WORKDIR, and make sure it is below our root (see checkWorkdirInsideRoot). */
export function enterWorkdir(workdir: string): void {
  chdir(workdir);
  checkWorkdirInsideRoot(workdir);
}

/**
 * mkdir -p WORKDIR, one component at a time (after pivot_root, so symlinks
 * resolve inside the container). Not mkdirSync's recursive mode: given a
 * path through a link to something that is neither missing nor a directory
 * (`-w /proc/self/fd/19`, a pipe) it loops forever instead of failing.
 */
function makeWorkdir(workdir: string): void {
  let path = '';
  for (const part of workdir.split('/').filter(Boolean)) {
    path += `/${part}`;
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat?.isDirectory()) continue;
    if (stat) throw new InitError(`-w ${workdir}: ${path} is not a directory`);
    try {
      mkdirSync(path, { mode: 0o755 });
    } catch (error) {
      throw new InitError(`-w ${workdir}: mkdir(${path}): ${(error as NodeJS.ErrnoException).code}`);
    }
  }
}

/**
 * runc's CVE-2024-21626: until execve, this process still holds file
 * descriptors of its own (Node's, and any a bug leaks), and
 * `-w /proc/self/fd/N` makes one of them the working directory. If N is a
 * directory outside the container's root, the payload would start there,
 * and `cd ..` from it walks the host. The kernel marks such a directory,
 * in the getcwd system call only: its path, seen from our root, starts
 * with "(unreachable)" (runc asks the same call, through Go's Getwd).
 */
function checkWorkdirInsideRoot(workdir: string): void {
  const cwd = getcwdSyscall();
  if (!cwd.startsWith('/')) throw new InitError(`-w ${workdir}: the working directory is outside the container's root (${cwd})`);
}

/** setresuid fails with EINVAL when the id has no owner in our user namespace: say so plainly. */
function withMappingHint(call: () => void, what: string): void {
  try {
    call();
  } catch (error) {
    if (error instanceof SyscallError && error.code === 'EINVAL') {
      throw new InitError(`${error.message}: ${what} is not mapped in the container's user namespace (try --userns=subids)`);
    }
    throw error;
  }
}

