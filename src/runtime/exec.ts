// exec: one more process in a running container's namespaces (chapter 9).
//
// Joining a namespace is setns(2), and Node cannot call it for the two that
// matter most: the kernel refuses setns into a user namespace to a process
// with more than one thread (its threads would live in two user namespaces
// at once), and into a mount namespace likewise (threads share one root and
// working directory). Node always runs several threads. So, as unshare(1)
// does for `run` (src/userns/spawn.ts), a small single-threaded C program
// does it: util-linux nsenter(1) opens /proc/PID/ns/*, calls setns for each,
// forks (a process joins a pid namespace only through its children: its own
// pid cannot change), and that child execs the command.
//
// Everything nsenter needs is worked out before, from the host, by looking
// into the container through /proc/PID/root: the user in the container's
// /etc/passwd, the command in the container's PATH, the working directory.
// The host may look there because the container's user namespace is ours:
// its owner holds every capability in it, CAP_SYS_PTRACE included, and
// /proc/PID/root asks exactly for ptrace rights over PID.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, fstatSync, readFileSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import { InitError } from '../init/errors.js';
import { lookPath, type PathProbe } from '../init/exec.js';
import { parseGroup, parsePasswd, resolveUser, type ResolvedUser } from '../init/passwd.js';
import { O_DIRECTORY, O_PATH, O_RDONLY, SyscallError, closeOnExecFrom, openInRoot, openPty, type Pty } from '../syscalls/index.js';
import { isMapped, parseMap } from '../userns/idmap.js';
import { EXIT_CANNOT_EXECUTE, EXIT_NOT_FOUND } from './exit-status.js';
import { DEFAULT_PATH, mergeEnv } from './options.js';
import type { ContainerRecord } from './records.js';
import type { UserSpec } from './spec.js';

export interface ExecRequest {
  /** argv; argv[0] is looked up in the container's PATH. */
  command: string[];
  /** From --env-file, then -e: they override the container's environment. */
  env: string[];
  workdir?: string;
  user?: UserSpec;
  /** -t: TERM=xterm unless the environment names one, as docker does. */
  tty: boolean;
}

export interface ExecPlan {
  /** Host pid of the container's pid 1, whose namespaces are joined. */
  pid: number;
  /** nsenter's arguments, the command last. */
  args: string[];
  env: string[];
  /** The container's cgroup (chapter 6), when it has one: the command runs inside its limits too. */
  cgroup?: string;
}

/**
 * Check REQUEST against the running container of RECORD and plan the
 * nsenter call. Throws a one-line Error: exit 125, or 126/127 (exitCode)
 * when the command cannot be run.
 */
export function planExec(record: ContainerRecord, request: ExecRequest): ExecPlan {
  const pid = record.pid!;
  const root = `/proc/${pid}/root`;
  const joined = namespacesToJoin(pid);
  // --no-isolate=user: no user namespace, so no root inside to become someone else.
  if (!joined.includes('user') && request.user) throw new Error(`exec -u: the container has no user namespace of its own (--no-isolate=user): the command runs as you`);
  const user = resolveInContainer(root, request.user ?? record.spec.user);
  if (joined.includes('user')) checkMapped(pid, user, request.user);

  // The container's environment (docker's order: the defaults, the image's, its -e), then ours on top.
  const env = mergeEnv(record.spec.env, request.env);
  // (Without a user namespace the command runs as you, and your HOME is its.)
  if (!env.some((entry) => entry.startsWith('HOME='))) env.push(`HOME=${joined.includes('user') ? user.home : process.env.HOME ?? '/'}`);
  if (request.tty && !env.some((entry) => entry.startsWith('TERM='))) env.push('TERM=xterm');

  const workdir = request.workdir ?? record.spec.workdir;
  checkWorkdir(root, workdir);
  checkCommand(request.command[0], env, probeInRoot(root, workdir));
  return {
    pid,
    // --wdns: change directory once inside, so the path means the
    // container's. (--wd=DIR would open DIR on the host, before setns.)
    args: [
      '--target', String(pid), ...joined.map((name) => `--${name}`), ...(joined.includes('user') ? credentialArgs(pid, user) : []),
      `--wdns=${workdir}`, '--', ...request.command,
    ],
    env,
    cgroup: record.cgroup,
  };
}

/** The namespaces nsenter can join: /proc/PID/ns/NAME, and nsenter's option for it (--NAME). */
const NAMESPACES: [string, string][] = [
  ['user', 'user'], ['mnt', 'mount'], ['pid', 'pid'], ['uts', 'uts'], ['ipc', 'ipc'],
  ['net', 'net'], ['cgroup', 'cgroup'], ['time', 'time'],
];

/**
 * Every namespace of PID that is not ours too: all of the container's, and
 * a network namespace once it has one — and none that it shares with the
 * host (--no-isolate). (Joining our own user namespace would fail besides:
 * setns refuses it, EINVAL.) In nsenter's names.
 */
function namespacesToJoin(pid: number): string[] {
  const namespace = (who: number | 'self', name: string) => {
    try {
      return readlinkSync(`/proc/${who}/ns/${name}`); // "pid:[4026532181]": the type and inode number
    } catch {
      return undefined; // a kernel without that namespace type
    }
  };
  return NAMESPACES.filter(([name]) => namespace(pid, name) !== namespace('self', name)).map(([, option]) => option);
}

/**
 * Who the command runs as, in nsenter's terms. Measured with util-linux
 * 2.38.1: entering a user namespace, nsenter always drops the supplementary
 * groups (setgroups(0, NULL)) and sets gid and uid (0 unless -G/-S say
 * otherwise). In a namespace whose /proc/PID/setgroups says "deny" — which
 * an unprivileged single-id map must (chapter 2) — setgroups is refused:
 * "nsenter: setgroups failed: Operation not permitted", exit 1. There the
 * only id is ours anyway (mapped to 0), and --preserve-credentials skips
 * all three calls. With subordinate ids -S and -G work; but the user's own
 * supplementary groups, which docker would set, cannot be: nsenter has no
 * option for them.
 */
function credentialArgs(pid: number, user: ResolvedUser): string[] {
  if (readFileSync(`/proc/${pid}/setgroups`, 'utf8').trim() === 'deny') return ['--preserve-credentials'];
  return ['--setuid', String(user.uid), '--setgid', String(user.gid)];
}

/** Read PATH inside ROOT (see openInRoot); "" when it cannot be, as the init's switch-user does. */
function readInRoot(root: string, path: string): string {
  let fd: number;
  try {
    fd = openInRoot(root, path, O_RDONLY);
  } catch {
    return '';
  }
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** `-u` against the container's own /etc/passwd and /etc/group, with the same rules as run (src/init/passwd.ts). */
function resolveInContainer(root: string, user: UserSpec): ResolvedUser {
  return resolveUser(user.user, user.group, parsePasswd(readInRoot(root, '/etc/passwd')), parseGroup(readInRoot(root, '/etc/group')));
}

/** An id the container's user namespace does not map cannot be switched to: say so before nsenter fails (EINVAL). */
function checkMapped(pid: number, user: ResolvedUser, asked: UserSpec | undefined): void {
  const what = asked ? `-u ${asked.user}${asked.group !== undefined ? `:${asked.group}` : ''}` : 'the container\'s user';
  for (const [id, kind] of [[user.uid, 'uid'], [user.gid, 'gid']] as const) {
    const map = parseMap(readFileSync(`/proc/${pid}/${kind}_map`, 'utf8'));
    if (!isMapped(map, id)) {
      throw new Error(`${what}: ${kind} ${id} is not mapped in the container's user namespace (mapped: ${map.map((r) => `${r.inside}-${r.inside + r.count - 1}`).join(', ')})`);
    }
  }
}

/**
 * What lookPath needs to know of a path in the container. Only the mode
 * bits are read: whether the container's user may execute the file depends
 * on ids only the kernel compares, at execve (nsenter then says so: 126).
 */
function probeInRoot(root: string, workdir: string): PathProbe {
  return (path) => {
    let fd: number;
    try {
      fd = openInRoot(root, posix.resolve(workdir, path), O_PATH);
    } catch {
      return undefined;
    }
    try {
      const stat = fstatSync(fd);
      return { directory: stat.isDirectory(), executable: !stat.isDirectory() && (stat.mode & 0o111) !== 0 };
    } finally {
      closeSync(fd);
    }
  };
}

/** docker's 127 and 126, with a line of our own rather than nsenter's. */
function checkCommand(file: string, env: readonly string[], probe: PathProbe): void {
  if (!file.includes('/')) {
    lookPath(file, env, probe);
    return;
  }
  const found = probe(file);
  if (!found) throw new InitError(`exec: "${file}": no such file or directory`, EXIT_NOT_FOUND);
  if (found.directory) throw new InitError(`exec: "${file}": is a directory`, EXIT_CANNOT_EXECUTE);
  if (!found.executable) throw new InitError(`exec: "${file}": permission denied`, EXIT_CANNOT_EXECUTE);
}

/**
 * A missing working directory is a one-line error here; one we may not look
 * into from the host (EACCES: we are not the container's user) is left to
 * nsenter, which enters it as that user.
 */
function checkWorkdir(root: string, workdir: string): void {
  try {
    closeSync(openInRoot(root, workdir, O_PATH | O_DIRECTORY));
  } catch (error) {
    if (error instanceof SyscallError && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) {
      throw new Error(`working directory ${workdir}: no such directory in the container`);
    }
  }
}

/**
 * A new pty in the container's own devpts, made from the host. Its ptmx is
 * looked up inside the container's root: the container may have replaced
 * its /dev/pts with a symlink to anywhere. The O_PATH descriptor is then
 * reopened for real through /proc/self/fd, as a path.
 */
export function openContainerPty(pid: number): Pty {
  const ptmx = openInRoot(`/proc/${pid}/root`, '/dev/pts/ptmx', O_PATH);
  try {
    return openPty(`/proc/self/fd/${ptmx}`);
  } finally {
    closeSync(ptmx);
  }
}

/** An absolute path for a host program, found in OUR PATH (the child's environment is the container's). */
function hostProgram(name: string): string {
  try {
    return lookPath(name, [`PATH=${process.env.PATH || DEFAULT_PATH}`]);
  } catch {
    throw new Error(`exec needs ${name} (util-linux) on this machine`);
  }
}

export interface SpawnExecOptions {
  stdio: StdioOptions;
  /** A session of its own, so that keys typed on the user's terminal signal cellblock only. */
  detached: boolean;
  /**
   * -t: the slave given as stdio becomes the command's controlling terminal.
   * util-linux setsid(1) --ctty starts a session and takes its stdin as the
   * session's terminal (TIOCSCTTY), then execs nsenter; nsenter's child, the
   * command, inherits both. (Spawned without `detached`, so it is not a
   * process group leader: setsid(1) then needs no fork, and the pid we
   * spawned is nsenter's.)
   *
   * The price, with util-linux alone: nsenter leads the session and shares
   * the command's process group, the terminal's foreground group. A ^C typed
   * there is SIGINT for nsenter too, and once it is dead the kernel hangs the
   * terminal up for everyone in front (SIGHUP: the session's leader is gone).
   * Interactive shells give each job a process group of its own, so ^C in
   * `exec -it C sh` stops the job and the shell lives on; but a program run
   * directly that catches ^C (a Python prompt) is hung up. runc avoids this
   * with C code that calls setsid() in the command's own process, between
   * fork and exec — the one moment nsenter gives us no hook into.
   */
  controllingTerminal: boolean;
}

/** Start PLAN: setsid? → nsenter → the command. Only fds 0, 1 and 2 reach it. */
export function spawnExec(plan: ExecPlan, options: SpawnExecOptions): ChildProcess {
  const nsenter = hostProgram('nsenter');
  let [file, args] = options.controllingTerminal ? [hostProgram('setsid'), ['--ctty', nsenter, ...plan.args]] : [nsenter, plan.args];
  if (plan.cgroup) {
    // nsenter joins namespaces, not cgroups, and the command must not run
    // one instruction outside the container's limits. A process may move
    // itself, and its children are born where it is: so a shell moves itself
    // into the container's cgroup and becomes nsenter. (Moving this CLI
    // instead would charge a whole Node, a dozen threads, to --pids-limit.)
    // Shell: echo $$ > CGROUP/cgroup.procs && exec nsenter …
    [file, args] = ['/bin/sh', ['-c', 'echo $$ > "$0" && exec "$@"', `${plan.cgroup}/cgroup.procs`, file, ...args]];
  }
  // Whatever cellblock itself inherited beyond 0-2 would pass through nsenter
  // to the command: spawn only closes what Node opened (close-on-exec).
  closeOnExecFrom(3);
  return spawn(file, args, {
    stdio: options.stdio,
    detached: options.detached,
    env: Object.fromEntries(plan.env.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)])),
  });
}

/**
 * Host pid of the command: nsenter's child. Signals for the command must go
 * there: nsenter passes none on (it only waits, and hands on the exit
 * status, or dies of the same signal). Undefined until nsenter has forked.
 * nsenter forks only to join a pid namespace (a process cannot change its
 * own); into a container that shares ours (--no-isolate=pid) it becomes the
 * command itself, with the same pid.
 */
export function commandPid(nsenter: ChildProcess): number | undefined {
  const nsenterPid = nsenter.pid;
  if (nsenterPid === undefined || !nsenter.spawnargs.includes('--pid')) return nsenterPid;
  try {
    const [child] = readFileSync(`/proc/${nsenterPid}/task/${nsenterPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return child === undefined ? undefined : Number(child);
  } catch {
    return undefined; // nsenter is gone
  }
}
