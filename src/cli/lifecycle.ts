// cellblock start, stop, restart, kill, wait, rm — what happens to a container
// after `run`. Every one of them talks to the container's supervisor (it is
// the parent of the container's processes and writes down how they ended);
// none of them needs to be the process that started the container.
import { EXIT_RUNTIME_FAILED } from '../runtime/exit-status.js';
import { parseSignal } from '../runtime/options.js';
import { findRecord, isAlive, readRecord, type ContainerRecord } from '../runtime/records.js';
import { RunError } from '../runtime/run.js';
import { hasNetworkNamespace } from '../network/mode.js';
import { connectSupervisor, detachOnceStarted, endOf, launchSupervisor, waitForEnd, type ContainerEnd, type SupervisorLine } from '../supervisor/client.js';
import { FRAME, encodeFrame } from '../supervisor/frames.js';
import { relay, statusOf } from './attach.js';
import { createStorage } from './run.js';

/** Do ACTION for each of REFERENCES, as docker does: a failure is one line, and the rest still go. */
async function eachContainer(references: string[], action: (record: ContainerRecord, reference: string) => Promise<void>): Promise<number> {
  let status = 0;
  for (const reference of references) {
    try {
      await action(findRecord(reference), reference);
    } catch (error) {
      process.stderr.write(`cellblock: ${(error as Error).message.split('\n')[0]}\n`);
      status = error instanceof RunError ? error.exitCode : EXIT_RUNTIME_FAILED;
    }
  }
  return status;
}

/** A line to RECORD's supervisor while it runs the container, or undefined. */
const supervisorOf = (record: ContainerRecord) => connectSupervisor(record, { stdin: false, output: false });

const sendSignal = (line: SupervisorLine, signal: NodeJS.Signals) => line.connection.write(encodeFrame(FRAME.signal, signal));

/**
 * Stop a running container: its stop signal, then after TIMEOUT seconds
 * SIGKILL. The payload is pid 1 of its pid namespace, and pid 1 gets no
 * default signal actions: a SIGTERM it installed no handler for is simply
 * dropped by the kernel. Only SIGKILL cannot be ignored — hence the timeout.
 */
export async function stopContainer(record: ContainerRecord, timeoutSeconds: number, signal?: NodeJS.Signals): Promise<ContainerEnd | undefined> {
  const line = await supervisorOf(record);
  if (!line) return undefined; // not running: nothing to do (docker says the name all the same)
  const ended = endOf(line);
  // #region exercise: ask pid 1 to stop: send it SIGNAL if given, else the image's StopSignal, else SIGTERM
  sendSignal(line, signal ?? (record.spec.stopSignal ? parseSignal(record.spec.stopSignal, 'the image\'s StopSignal') : 'SIGTERM'));
  // #endregion
  const timer = setTimeout(() => sendSignal(line, 'SIGKILL'), timeoutSeconds * 1000);
  try {
    return await ended;
  } finally {
    clearTimeout(timer);
  }
}

export function stop(references: string[], options: { time: number; signal?: string }): Promise<number> {
  const signal = options.signal === undefined ? undefined : parseSignal(options.signal, '--signal');
  return eachContainer(references, async (record, reference) => {
    await stopContainer(record, options.time, signal);
    process.stdout.write(`${reference}\n`);
  });
}

export function kill(references: string[], options: { signal: string }): Promise<number> {
  const signal = parseSignal(options.signal, '--signal');
  return eachContainer(references, async (record, reference) => {
    const line = await supervisorOf(record);
    if (!line) throw new Error(`cannot kill container ${reference}: it is not running`);
    sendSignal(line, signal);
    line.connection.end();
    process.stdout.write(`${reference}\n`);
  });
}

/**
 * Start a stopped container again: a new supervisor and init, the same spec
 * and the same writable layer (what it wrote last time is still there).
 * With ATTACH, relay its stdio until it ends and return its status.
 */
async function startContainer(record: ContainerRecord, attach: boolean, stdin: boolean): Promise<number | undefined> {
  const supervisor = launchSupervisor();
  supervisor.configure({ stdin: record.openStdin, tty: record.spec.tty !== undefined, netns: hasNetworkNamespace(record.spec.network), rootlessNetns: record.spec.network?.mode === 'bridge', share: record.spec.hostNamespaces });
  createStorage(record);
  supervisor.start({ id: record.id, attach, foreground: false });
  if (attach) {
    const end = await relay(supervisor, { stdin: stdin && record.openStdin, tty: record.spec.tty !== undefined });
    if (end.detached) supervisor.process.unref();
    return statusOf(end, record.name);
  }
  const failed = await detachOnceStarted(supervisor);
  if (failed) statusOf(failed, record.name); // throws the one line that says why it did not start
  return undefined;
}

export async function start(references: string[], options: { attach?: boolean; interactive?: boolean }): Promise<number> {
  if (options.attach && references.length > 1) throw new Error('start: you cannot attach to more than one container at once');
  let attachedStatus: number | undefined;
  const status = await eachContainer(references, async (record, reference) => {
    if (isAlive(record)) {
      if (options.attach) throw new Error(`container ${reference} is already running: use cellblock attach`);
    } else {
      attachedStatus = await startContainer(record, options.attach ?? false, options.interactive ?? false);
    }
    if (!options.attach) process.stdout.write(`${reference}\n`);
  });
  return status || (attachedStatus ?? 0);
}

export function restart(references: string[], options: { time: number }): Promise<number> {
  return eachContainer(references, async (record, reference) => {
    await stopContainer(record, options.time);
    await startContainer(readRecord(record.id), false, false);
    process.stdout.write(`${reference}\n`);
  });
}

/** Block until each container has ended; print its exit status. */
export function wait(references: string[]): Promise<number> {
  return eachContainer(references, async (record, reference) => {
    const end = isAlive(record) ? await waitForEnd(record) : { status: record.exitCode };
    if (end.status === undefined) throw new Error(`${reference}: how it ended is not known (its supervisor was killed)`);
    process.stdout.write(`${end.status}\n`);
  });
}

/** rm: a running container needs -f, which kills it first; its supervisor writes the end down, then it goes. */
export function rm(references: string[], options: { force?: boolean; volumes?: boolean }): Promise<number> {
  return eachContainer(references, async (record, reference) => {
    if (isAlive(record)) {
      if (!options.force) throw new Error(`cannot remove running container ${reference}: stop it first, or use rm -f`);
      await stopContainer(record, 0, 'SIGKILL');
    }
    const { removeContainer } = await import('../runtime/remove.js');
    await removeContainer(record);
    if (options.volumes) {
      const { removeAnonymousVolumes } = await import('../runtime/volumes.js');
      await removeAnonymousVolumes(record);
    }
    process.stdout.write(`${reference}\n`);
  });
}
