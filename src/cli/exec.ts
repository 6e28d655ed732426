// cellblock exec — run a command in a running container (nsenter: src/runtime/exec.ts).
import { once } from 'node:events';
import { closeSync, writeSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { statusFromWait } from '../runtime/exit-status.js';
import { InitError } from '../init/errors.js';
import { moveBesideUs } from '../cgroups/container.js';
import { openContainerPty, planExec, spawnExec, type ExecPlan, type ExecProcess } from '../runtime/exec.js';
import { parseEnvEntry, parseEnvFile, parseUserOption, parseWorkdir } from '../runtime/options.js';
import { findRecord, isAlive } from '../runtime/records.js';
import { setWindowSize } from '../syscalls/index.js';
import { DEFAULT_DETACH_KEYS, openTerminal, parseDetachKeys } from './terminal.js';

export interface ExecOptions {
  interactive?: boolean;
  tty?: boolean;
  detach?: boolean;
  env: string[];
  envFile: string[];
  workdir?: string;
  user?: string;
  detachKeys?: string;
}

/** Signals sent to cellblock exec are meant for the command, as with docker exec. */
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Run COMMAND in CONTAINER; resolves with cellblock's exit status (the command's, as docker gives it). */
export async function exec(container: string, command: string[], options: ExecOptions): Promise<number> {
  // The cheap checks first, then the container, then the command in it.
  if (options.detach && (options.tty || options.interactive)) throw new Error('exec: -d cannot be combined with -i or -t: nobody would be attached');
  const detachKeys = parseDetachKeys(options.detachKeys ?? DEFAULT_DETACH_KEYS);
  const user = options.user !== undefined ? parseUserOption(options.user) : undefined;
  const workdir = options.workdir !== undefined ? parseWorkdir(options.workdir) : undefined;
  const fromFiles = options.envFile.flatMap((file) => parseEnvFile(file, process.env));
  const fromFlags = options.env.map((entry) => parseEnvEntry(entry, '-e', process.env)).filter((e): e is string => e !== undefined);
  if (options.tty && options.interactive && !process.stdin.isTTY) throw new Error('exec -it: the input device is not a TTY (use -i alone to pipe input)');

  const record = findRecord(container);
  if (record.status !== 'running' || !isAlive(record)) throw new Error(`container ${record.name} is not running`);
  const plan = planExec(record, { command, env: [...fromFiles, ...fromFlags], workdir, user, tty: options.tty ?? false });

  if (options.detach) {
    const exec = spawnExec(plan, { stdio: 'ignore', detached: true, controllingTerminal: false });
    await started(exec, plan); // the command runs (or the one-line reason it does not is thrown)
    exec.process.unref();
    return 0;
  }
  if (options.tty) return withTerminal(plan, options.interactive ?? false, detachKeys);
  // No terminal: the command gets our stdin (with -i), stdout and stderr themselves, no copying in between.
  const exec = spawnExec(plan, { stdio: [options.interactive ? 'inherit' : 'ignore', 'inherit', 'inherit'], detached: true, controllingTerminal: false });
  return finish(exec, plan);
}

/**
 * -t: the command gets a pty of its own in the container's devpts, and we
 * relay between it and the user's terminal (raw with -i, see terminal.ts).
 */
async function withTerminal(plan: ExecPlan, interactive: boolean, detachKeys: Buffer): Promise<number> {
  const { master, slave } = openContainerPty(plan.init.pid);
  let detach = () => {};
  const terminal = openTerminal({
    input: interactive ? ptyWriter(master) : undefined,
    onResize: (size) => setWindowSize(master, size),
    onDetach: () => detach(),
    detachKeys,
  });
  setWindowSize(master, terminal.size() ?? { rows: 24, cols: 80 });
  let exec: ExecProcess;
  try {
    exec = spawnExec(plan, { stdio: [slave, slave, slave], detached: false, controllingTerminal: true });
  } finally {
    closeSync(slave); // the command's now: with no copy of ours, its end shows as EIO on the master
  }

  // A tty.ReadStream reads the master through the event loop. Once no
  // process holds the slave open any more, the kernel answers EIO: the end.
  const output = new ReadStream(master);
  output.on('data', (chunk: Buffer) => terminal.output(chunk));
  const drained = new Promise<void>((resolve) => {
    output.once('close', resolve);
    output.once('error', () => resolve()); // EIO
  });
  const detached = new Promise<number>((resolve) => {
    // Our end of the pty closes as we leave: the kernel hangs it up, and the
    // command gets SIGHUP, as when a terminal window is closed. No process
    // stays behind to hold an exec's terminal (docker's daemon does that).
    detach = () => resolve(0);
  });
  const ended = finish(exec, plan, async () => {
    // The command's last words may still be on their way through the pty;
    // a background process it left holding the terminal keeps it open, so do not wait for ever.
    await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 250))]);
  });
  try {
    return await Promise.race([ended, detached]);
  } finally {
    terminal.restore();
    output.destroy();
    exec.process.unref();
  }
}

/** Wait for the command to end, passing our stop signals on to it; THEN runs before the status is given. */
async function finish(exec: ExecProcess, plan: ExecPlan, then?: () => Promise<void>): Promise<number> {
  const relay = (signal: NodeJS.Signals) => deliver(exec, signal);
  for (const signal of FORWARDED) process.on(signal, relay);
  try {
    const notStarted = started(exec, plan).then(() => undefined, (error: unknown) => error);
    // once() rejects if the process could not be spawned at all ('error'): then the reason is notStarted's.
    const [code, signal] = (await once(exec.process, 'exit').catch(async (error: unknown) => {
      throw (await notStarted) ?? error;
    })) as [number | null, NodeJS.Signals | null];
    await then?.();
    // exec's init said why the command could not run (and exits with that status): say it as ours.
    const error = await notStarted;
    if (error instanceof InitError) throw error;
    return statusFromWait(code, signal);
  } finally {
    for (const signal of FORWARDED) process.off(signal, relay);
  }
}

/**
 * Send SIGNAL to the command, once exec's init has said its pid: the init
 * passes no signal on (it waits, and hands on the exit status).
 */
function deliver(exec: ExecProcess, signal: NodeJS.Signals): void {
  exec.command.then((pid) => {
    if (exec.process.exitCode !== null || exec.process.signalCode !== null) return; // its status is on its way
    try {
      process.kill(pid, signal);
    } catch {
      // It has just ended: its status is on its way.
    }
  }, () => {});
}

/**
 * Resolves once the command runs; rejects with one line when it could not be
 * started. exec's init joined the container's cgroup to fork the command
 * there: now it moves back beside us, so that its own threads stop counting
 * against the container's limits.
 */
async function started(exec: ExecProcess, plan: ExecPlan): Promise<void> {
  await exec.command;
  if (plan.init.cgroup !== undefined) moveBesideUs(exec.process.pid!);
}

/**
 * Input for the pty master. The master is non-blocking (the ReadStream's
 * event loop made it so), so a write may meet a full buffer (EAGAIN) when
 * the command reads slower than the user pastes: what is left waits a moment.
 */
function ptyWriter(master: number): (bytes: Buffer) => void {
  const queue: Buffer[] = [];
  let retry: NodeJS.Timeout | undefined;
  const flush = () => {
    retry = undefined;
    while (queue.length > 0) {
      try {
        const written = writeSync(master, queue[0]);
        if (written < queue[0].length) queue[0] = queue[0].subarray(written);
        else queue.shift();
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') retry = setTimeout(flush, 20);
        else queue.length = 0; // EIO, EBADF: the terminal is gone, and so is the input
        return;
      }
    }
  };
  return (bytes) => {
    queue.push(bytes);
    if (!retry) flush();
  };
}
