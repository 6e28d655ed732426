// Chapter 2 — who the payload runs as, inside the user namespace.
import { mkdirSync, readFileSync } from 'node:fs';
import { SIGKILL, SyscallError, chdir, setParentDeathSignal, setgroups, setresgid, setresuid } from '../syscalls/index.js';
import { InitError } from './errors.js';
import { parseGroup, parsePasswd, resolveUser } from './passwd.js';
import type { InitStep } from './pipeline.js';
import { readFileOrEmpty } from '../runtime/files.js';

export const switchUser: InitStep = {
  name: 'switch-user',
  chapter: 2,
  run(ctx) {
    const { spec } = ctx;
    // Read after pivot_root: these are the container's files, not the host's.
    let user;
    try {
      user = resolveUser(spec.user.user, spec.user.group, parsePasswd(readFileOrEmpty('/etc/passwd')), parseGroup(readFileOrEmpty('/etc/group')));
    } catch (error) {
      throw new InitError((error as Error).message);
    }
    if (!ctx.env.some((entry) => entry.startsWith('HOME='))) ctx.env.push(`HOME=${user.home}`);

    // Created while we are still root inside, as docker does for a missing -w.
    mkdirSync(spec.workdir, { recursive: true });

    // With a single-id map the parent had to write "deny" to
    // /proc/PID/setgroups (the kernel demands it before an unprivileged
    // gid_map), and setgroups() would fail: the groups stay as inherited.
    if (readFileSync('/proc/self/setgroups', 'utf8').trim() === 'allow') setgroups(user.groups);
    // Group first: once the uid is not 0, we may no longer change the gid.
    // Shell: setpriv --regid GID --reuid UID (or su/runuser)
    withMappingHint(() => setresgid(user.gid), `group ${user.gid}`);
    withMappingHint(() => setresuid(user.uid), `user ${user.uid}`);
    // unshare --kill-child asked the kernel to SIGKILL us when unshare dies,
    // but the kernel forgets that request whenever the effective uid or gid
    // changes (prctl(2)), as it just did. Ask again, or a container run with
    // -u would outlive a killed cellblock. (If unshare died in the
    // microseconds between the two calls, nothing tells us: getppid() is 0
    // for pid 1 of a pid namespace either way.)
    setParentDeathSignal(SIGKILL);
    chdir(spec.workdir);
  },
};

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

