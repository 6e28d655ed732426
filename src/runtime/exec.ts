// exec: one more process in a running container's namespaces (chapter 9).
//
// Joining a namespace is setns(2), and Node cannot call it for the two that
// matter most: the kernel refuses setns into a user namespace to a process
// with more than one thread (its threads would live in two user namespaces
// at once), and into a mount namespace likewise (threads share one root and
// working directory). Node always runs several threads. So, as unshare(1)
// does for `run` (src/userns/spawn.ts), a small single-threaded C program
// does it: util-linux nsenter(1) opens /proc/PID/ns/*, calls setns for each,
// and execs — not the command, but exec's init (src/runtime/exec-init.ts),
// which gives the command what the container's init gave pid 1: docker's
// capabilities, the user, the seccomp filter, the pid namespace, the cgroup.
//
// Everything else is worked out before, from the host, by looking into the
// container through /proc/PID/root: the user in the container's
// /etc/passwd, the command in the container's PATH, the working directory.
// The host may look there because the container's user namespace is ours:
// its owner holds every capability in it, CAP_SYS_PTRACE included, and
// /proc/PID/root asks exactly for ptrace rights over PID.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { closeSync, fstatSync, readFileSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import { InitError } from '../init/errors.js';
import { lookPath, type PathProbe } from '../init/exec.js';
import { parseGroup, parsePasswd, resolveUser, type ResolvedUser } from '../init/passwd.js';
import { O_DIRECTORY, O_PATH, O_RDONLY, SyscallError, closeOnExecFrom, openInRoot, openPty, type Pty } from '../syscalls/index.js';
import { isMapped, parseMap } from '../userns/idmap.js';
import { EXIT_CANNOT_EXECUTE, EXIT_NOT_FOUND } from './exit-status.js';
import { DEFAULT_PATH, mergeEnv } from './options.js';
import { SYNC_FD, encode } from './protocol.js';
import type { ContainerRecord } from './records.js';
import type { ContainerSpec, UserSpec } from './spec.js';

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
  /** nsenter's options (the namespaces it joins), or none: a container with no user namespace, whose init runs as it is. */
  nsenter: string[];
  /** For exec's init, on its sync pipe. */
  init: ExecInitPlan;
}

/**
 * What exec's init (src/runtime/exec-init.ts) is told: it has the host's
 * root, and reads nothing of the container's but through PID.
 */
export interface ExecInitPlan {
  /** Host pid of the container's pid 1, whose namespaces are joined. */
  pid: number;
  /** The namespaces it joins itself, after nsenter (a multithreaded process may join these two). */
  join: ('pid' | 'cgroup')[];
  /** chroot into the container's root: whenever nsenter gave it the host's (--root=/). */
  changeRoot: boolean;
  /** The container's: its security settings (chapter 11) apply to the command too. */
  spec: ContainerSpec;
  /** Who the command runs as; absent without a user namespace (it runs as you). */
  user?: ResolvedUser;
  /** /proc/PID/setgroups says "allow" (it says "deny" with a single-id map). */
  setgroups: boolean;
  workdir: string;
  /** argv as given; argv[0] is found at PATH. */
  command: string[];
  path: string;
  env: string[];
  /** The container's cgroup (chapter 6), when it has one: the command is born inside its limits. */
  cgroup?: string;
  /** -t: ^C and ^\ typed on the terminal are for the command, not for exec's init. */
  terminal: boolean;
}

/** The conversation on exec's init's sync pipe (fd 3), one JSON object per line as the container's (src/runtime/protocol.ts). */
export type ExecOrder = { type: 'go'; plan: ExecInitPlan };
export type ExecMessage = { type: 'started'; pid: number } | { type: 'error'; code: number; message: string };

/**
 * Check REQUEST against the running container of RECORD and plan the
 * nsenter call. Throws a one-line Error: exit 125, or 126/127 (exitCode)
 * when the command cannot be run.
 */
export function planExec(record: ContainerRecord, request: ExecRequest): ExecPlan {
  const pid = record.pid!;
  const root = `/proc/${pid}/root`;
  const joined = namespacesToJoin(pid);
  const userns = joined.includes('user');
  // --no-isolate=user: no user namespace, so no root inside to become someone else.
  if (!userns && request.user) throw new Error(`exec -u: the container has no user namespace of its own (--no-isolate=user): the command runs as you`);
  const user = userns ? resolveInContainer(root, request.user ?? record.spec.user) : undefined;
  if (user) checkMapped(pid, user, request.user);

  // The container's environment (docker's order: the defaults, the image's, its -e), then ours on top.
  const env = mergeEnv(record.spec.env, request.env);
  // (Without a user namespace the command runs as you, and your HOME is its.)
  if (!env.some((entry) => entry.startsWith('HOME='))) env.push(`HOME=${user ? user.home : process.env.HOME ?? '/'}`);
  if (request.tty && !env.some((entry) => entry.startsWith('TERM='))) env.push('TERM=xterm');

  const workdir = request.workdir ?? record.spec.workdir;
  checkWorkdir(root, workdir);
  const path = commandPath(request.command[0], env, probeInRoot(root, workdir));
  // nsenter joins what only a single-threaded process may (and the rest of
  // the plain ones); pid and cgroup are left to exec's init (see there).
  // --root=/ (opened before the joins) keeps the HOST's root for it: the
  // Node that runs exec's init, and the project's files, are there.
  // --preserve-credentials: nsenter would set uid and gid 0 and call
  // setgroups, which a namespace with a single-id map refuses; exec's init
  // switches to the user itself, groups included.
  const byNsenter = joined.filter((name) => name !== 'pid' && name !== 'cgroup');
  return {
    nsenter: userns ? ['--target', String(pid), ...byNsenter.map((name) => `--${name}`), '--preserve-credentials', '--root=/'] : [],
    init: {
      pid,
      join: joined.filter((name): name is 'pid' | 'cgroup' => name === 'pid' || name === 'cgroup'),
      changeRoot: userns,
      spec: record.spec,
      user,
      setgroups: userns && readFileSync(`/proc/${pid}/setgroups`, 'utf8').trim() === 'allow',
      workdir,
      command: request.command,
      path,
      env,
      cgroup: record.cgroup,
      terminal: request.tty,
    },
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

/** Where FILE is in the container (docker's 127 and 126, with a line of our own, when it is not there or cannot run). */
function commandPath(file: string, env: readonly string[], probe: PathProbe): string {
  if (!file.includes('/')) return lookPath(file, env, probe);
  const found = probe(file);
  if (!found) throw new InitError(`exec: "${file}": no such file or directory`, EXIT_NOT_FOUND);
  if (found.directory) throw new InitError(`exec: "${file}": is a directory`, EXIT_CANNOT_EXECUTE);
  if (!found.executable) throw new InitError(`exec: "${file}": permission denied`, EXIT_CANNOT_EXECUTE);
  return file;
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
   * session's terminal (TIOCSCTTY), then execs nsenter, which execs exec's
   * init; the command, its child, inherits both. (Spawned without
   * `detached`, so it is not a process group leader: setsid(1) then needs no
   * fork, and the pid we spawned is exec's init's.)
   *
   * exec's init leads the session and shares the command's process group,
   * the terminal's foreground group: a ^C typed there is SIGINT for both. So
   * it ignores SIGINT and SIGQUIT — were it to die, the kernel would hang
   * the terminal up for everyone in front (SIGHUP: the session's leader is
   * gone), and a program that catches ^C (a Python prompt) would go with it.
   */
  controllingTerminal: boolean;
}

/** exec's init, as the process started for an exec: its exit status is the command's. */
export interface ExecProcess {
  /** setsid (with -t) → nsenter → exec's init: each execs the next, so this is one process, and the command is its child. */
  process: ChildProcess;
  /** The command's host pid once it runs; rejects with the one-line reason (and exit status) when it could not be started. */
  command: Promise<number>;
}

/** exec's init: the compiled src/runtime/exec-init.ts beside this file. */
const EXEC_INIT = fileURLToPath(new URL('./exec-init.js', import.meta.url));

/** Start PLAN: setsid? → nsenter → exec's init → the command. Only fds 0, 1 and 2 reach the command. */
export function spawnExec(plan: ExecPlan, options: SpawnExecOptions): ExecProcess {
  // Node's fewest threads (five: --v8-pool-size=1, and UV_THREADPOOL_SIZE=1
  // below for the pool that loads its modules). exec's init joins the
  // container's cgroup to fork the command there, and for that moment its
  // threads count against the container's --pids-limit.
  const init = [process.execPath, '--v8-pool-size=1', EXEC_INIT];
  let [file, args] = plan.nsenter.length > 0 ? [hostProgram('nsenter'), [...plan.nsenter, '--', ...init]] : [init[0], init.slice(1)];
  if (options.controllingTerminal) [file, args] = [hostProgram('setsid'), ['--ctty', file, ...args]];
  const stdio = typeof options.stdio === 'string' ? [options.stdio, options.stdio, options.stdio] : options.stdio;
  // Whatever cellblock itself inherited beyond 0-2 would pass through nsenter
  // to the command: spawn only closes what Node opened (close-on-exec).
  closeOnExecFrom(3);
  const child = spawn(file, args, {
    // fd 3: the sync pipe, as the container's init has (src/runtime/protocol.ts).
    stdio: [...stdio.slice(0, 3), 'pipe'],
    detached: options.detached,
    // The command's environment goes in the plan. Nothing of ours either:
    // not NODE_OPTIONS, whose module hooks (cellblock learn's exercise mode)
    // run on a thread of their own and would read modules after the chroot.
    env: { UV_THREADPOOL_SIZE: '1' },
  });
  const pipe = child.stdio[SYNC_FD] as Readable & Writable;
  pipe.on('error', () => {}); // it may die before reading (nsenter failed): its exit status says so
  const order: ExecOrder = { type: 'go', plan: plan.init };
  pipe.write(encode(order));
  const command = new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: pipe, crlfDelay: Infinity });
    lines.once('line', (line) => {
      const message = JSON.parse(line) as ExecMessage;
      if (message.type === 'started') resolve(message.pid);
      else reject(new InitError(message.message, message.code));
    });
    // No word: nsenter failed before exec's init ran (it said why on stderr), or the init was killed.
    lines.once('close', () => reject(new Error(`exec: the command was not started (${file} ended first)`)));
    child.once('error', (error: NodeJS.ErrnoException) => reject(new Error(`exec: cannot start ${file}: ${error.code ?? error.message}`)));
  });
  command.catch(() => {}); // a caller that only waits for the exit status need not hear this
  return { process: child, command };
}
