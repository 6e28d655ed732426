// Chapter 1 — a container is a process: the last step turns this init into the payload.
import { accessSync, constants, statSync } from 'node:fs';
import { EXIT_CANNOT_EXECUTE, EXIT_NOT_FOUND } from '../runtime/exit-status.js';
import { STDERR_FD } from '../runtime/protocol.js';
import { SyscallError, closeOnExecFrom, execve, makeInheritableBlocking, moveFd, resetSignals } from '../syscalls/index.js';
import { tellParent } from './channel.js';
import { attachConsole } from './console.js';
import { INIT_PATH } from './proc.js';
import { InitError } from './errors.js';
import type { InitStep } from './pipeline.js';

export const execPayload: InitStep = {
  name: 'exec-payload',
  chapter: 1,
  summary: 'stdio handed over, signals reset, then execve: the command replaces the init and stays pid 1',
  run({ spec, env, console: terminal }) {
    const [file, ...args] = spec.command;
    const path = lookPath(file, env);
    // With --init the payload is the init's child: catatonit -- PATH ARGS…
    const [program, argv] = spec.init ? [INIT_PATH, [INIT_PATH, '--', path, ...args]] : [path, spec.command];

    // Until now our stderr was a pipe to the parent; the payload gets the caller's.
    moveFd(STDERR_FD, 2);
    // With -t, the container's terminal replaces all three (chapter 9).
    if (terminal !== undefined) attachConsole(terminal);
    for (const fd of [0, 1, 2]) {
      try {
        makeInheritableBlocking(fd);
      } catch (error) {
        // The caller may have closed one (`cellblock run … <&-`): the payload gets it closed too.
        if (!(error instanceof SyscallError && error.code === 'EBADF')) throw error;
      }
    }
    // Only 0, 1 and 2 may reach the payload. Node holds a dozen more (its
    // event loop, its worker threads' pipes): close-on-exec covers them all,
    // including the sync pipe, whose closing tells the parent execve worked.
    closeOnExecFrom(3);
    tellParent({ type: 'exec' });
    resetSignals();

    // execve keeps the pid: the payload is now pid 1 of the pid namespace,
    // the process the kernel kills everything else with when it exits.
    // #region exercise: execve the payload: it keeps this process's pid, 1; a failed exec ends the init with 127 (no such file) or 126 (any other reason)
    try {
      execve(program, argv, env);
    } catch (error) {
      const code = error instanceof SyscallError && error.code === 'ENOENT' ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE;
      const reason = error instanceof SyscallError ? error.code : String(error);
      throw new InitError(`exec: "${file}": ${reason === 'ENOENT' ? 'no such file or directory' : `cannot execute (${reason})`}`, code);
    }
    // #endregion
  },
};

/** What lookPath learns of a path: nothing there (undefined), a directory, or a file that may or may not be executed. */
export type PathProbe = (path: string) => { directory: boolean; executable: boolean } | undefined;

/** Our own files, as our own user: stat, then access(X_OK). */
const probeHere: PathProbe = (path) => {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return undefined; // missing, or in a directory we may not search (EACCES, ENOTDIR): skipped, as execvp does
  }
  if (stat.isDirectory()) return { directory: true, executable: false };
  try {
    accessSync(path, constants.X_OK);
    return { directory: false, executable: true };
  } catch {
    return { directory: false, executable: false };
  }
};

/**
 * Find FILE the way execvp(3) would, but in the container's PATH, not ours
 * (and, given PROBE, in files seen from elsewhere: exec looks from the host).
 */
export function lookPath(file: string, env: readonly string[], probe: PathProbe = probeHere): string {
  if (file.includes('/')) return file;
  const pathVariable = env.findLast((entry) => entry.startsWith('PATH='))?.slice(5) ?? '';
  let foundButNotExecutable: string | undefined;
  for (const dir of pathVariable.split(':')) {
    const candidate = `${dir || '.'}/${file}`;
    const found = probe(candidate);
    if (!found || found.directory) continue;
    if (found.executable) return candidate;
    foundButNotExecutable ??= candidate;
  }
  if (foundButNotExecutable) throw new InitError(`exec: "${file}": permission denied`, EXIT_CANNOT_EXECUTE);
  throw new InitError(`exec: "${file}": executable file not found in $PATH`, EXIT_NOT_FOUND);
}
