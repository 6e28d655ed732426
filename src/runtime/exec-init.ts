// exec's init: what runs between nsenter and the command (chapter 9; the
// security steps are chapter 11's).
//
// nsenter (src/runtime/exec.ts) joins the container's user and mount
// namespaces, which Node never can. But it then execs, and setns into a user
// namespace hands the caller a FULL bounding set and every capability of
// that namespace (the kernel's set_cred_user_ns()), with no seccomp filter:
// a command exec'd by nsenter would be root with everything the container's
// pid 1 was denied. So nsenter execs this Node program instead, with the
// HOST's root still as its root (--root=/, opened before the joins), and it
// does for one more process what the container's init did for pid 1 — the
// same steps, from src/init/: the capabilities, the user, no_new_privs, the
// seccomp filter. Then it starts the command as its CHILD:
//
//   - a process joins a pid namespace only through its children. setns into
//     one is allowed to a multithreaded process: it decides only where the
//     calling thread's children are born;
//   - this process stays outside the container's pid namespace, so nothing
//     in the container can see it while it still holds the host's root (a
//     process of the container with CAP_SYS_PTRACE could otherwise open its
//     /proc/PID/root: runc's CVE-2016-9962). Before the fork it changes its
//     root to the container's, so the child never has the host's;
//   - everything the child inherits at fork — root, credentials, bounding
//     set, no_new_privs, filter, namespaces — was set on this process's main
//     thread, the one libuv forks from. Capabilities, no_new_privs and the
//     filter are per thread in the kernel: the other threads of this Node
//     keep theirs, and are not copied by fork.
//
// It tells its parent (cellblock exec) the command's pid on its sync pipe,
// waits for it, and exits with its status.
import { spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
import { tellParent, waitForParent } from '../init/channel.js';
import { limitCapabilities, noNewPrivileges } from '../init/capabilities.js';
import { InitError } from '../init/errors.js';
import type { InitContext, InitStep } from '../init/pipeline.js';
import { compileSeccomp, loadSeccomp } from '../init/seccomp.js';
import { becomeUser, enterWorkdir } from '../init/user.js';
import { CLONE_NEWCGROUP, CLONE_NEWPID, chdir, chroot, closeOnExecFrom, setns } from '../syscalls/index.js';
import type { ExecInitPlan, ExecMessage, ExecOrder } from './exec.js';
import { EXIT_CANNOT_EXECUTE, EXIT_NOT_FOUND, EXIT_RUNTIME_FAILED } from './exit-status.js';

const NAMESPACE_TYPES = { pid: CLONE_NEWPID, cgroup: CLONE_NEWCGROUP } as const;

/** Every step up to the fork; returns once the command has been started (or could not be: it throws). */
function startCommand(plan: ExecInitPlan): void {
  const ctx: InitContext = { spec: plan.spec, root: '/', env: plan.env };
  const run = (step: InitStep) => {
    if (!step.applies || step.applies(plan.spec)) step.run(ctx);
  };
  // While the host's files are reachable: libseccomp is the host's, and so
  // are /proc/PID/ns/* and the container's cgroup directory.
  run(compileSeccomp);
  const namespaces = plan.join.map((name) => ({ name, fd: openSync(`/proc/${plan.pid}/ns/${name}`, 'r') }));
  const cgroupProcs = plan.cgroup === undefined ? undefined : openSync(`${plan.cgroup}/cgroup.procs`, 'w');

  // The bounding set (and, for a non-root user, keep-caps until its execve).
  run(limitCapabilities);
  for (const { name, fd } of namespaces) {
    // Shell: nsenter --target PID --pid --cgroup (what nsenter did not join for us)
    setns(fd, NAMESPACE_TYPES[name], `/proc/${plan.pid}/ns/${name}`);
    closeSync(fd);
  }
  if (plan.changeRoot) {
    // The container's root as its pid 1 has it (it pivoted there): "/"
    // from here on means the container's, for us and for the child.
    // Shell: chroot /proc/PID/root
    chroot(`/proc/${plan.pid}/root`);
    chdir('/');
  }
  if (plan.user) becomeUser(plan.user, plan.setgroups);
  enterWorkdir(plan.workdir);
  run(noNewPrivileges);
  // Nothing of ours is left open for the command but fds 0-2 (the sync pipe
  // included: close-on-exec). close_range is made now, before the filter.
  closeOnExecFrom(3);
  run(loadSeccomp);

  if (plan.terminal) {
    // ^C and ^\ on the terminal go to its whole foreground group, us with
    // the command: they are the command's to act on. (The child gets the
    // default actions back: libuv resets every signal before execve.)
    process.on('SIGINT', () => {});
    process.on('SIGQUIT', () => {});
  }
  if (cgroupProcs !== undefined) {
    // A child is born in its parent's cgroup, and must not run one
    // instruction outside the container's limits: so we move in first (our
    // threads count in pids.current until cellblock exec moves us back out,
    // once the command runs). Shell: echo $$ > CGROUP/cgroup.procs
    try {
      writeSync(cgroupProcs, String(process.pid));
    } catch (error) {
      throw new InitError(`exec: cannot join the container's cgroup: write(${plan.cgroup}/cgroup.procs): ${(error as NodeJS.ErrnoException).code}`);
    }
    closeSync(cgroupProcs);
  }
  const [file, ...args] = plan.command;
  const child = spawn(plan.path, args, {
    argv0: file,
    stdio: 'inherit',
    env: Object.fromEntries(plan.env.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)])),
  });
  child.once('error', (error: NodeJS.ErrnoException) => {
    // execve failed in the child (the file changed since cellblock looked), or fork did.
    if (error.code === 'EAGAIN') fail(new InitError('exec: fork: EAGAIN (the container has as many processes as its --pids-limit allows)'));
    if (error.code === 'ENOENT') fail(new InitError(`exec: "${file}": no such file or directory`, EXIT_NOT_FOUND));
    fail(new InitError(`exec: "${file}": cannot execute (${error.code})`, EXIT_CANNOT_EXECUTE));
  });
  child.once('spawn', () => tellParent<ExecMessage>({ type: 'started', pid: child.pid! }));
  child.once('exit', (code, signal) => {
    // Our status is the command's: 128+N for a signal, as a shell (and docker exec) say it.
    process.exit(code ?? 128 + constants.signals[signal!]);
  });
}

function fail(error: unknown): never {
  const code = error instanceof InitError ? error.exitCode : EXIT_RUNTIME_FAILED;
  const message = error instanceof Error ? error.message : String(error);
  tellParent<ExecMessage>({ type: 'error', code, message });
  process.exit(code);
}

try {
  startCommand(waitForParent<ExecOrder>().plan);
} catch (error) {
  fail(error);
}
