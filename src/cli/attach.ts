// cellblock attach — and the relay every attached CLI runs (run without -d,
// start -a): the container's output to our stdout and stderr, our stdin and
// signals to the container, until the supervisor says how it ended.
import { EXIT_RUNTIME_FAILED } from '../runtime/exit-status.js';
import { findRecord, isAlive } from '../runtime/records.js';
import { RunError } from '../runtime/run.js';
import { FRAME, encodeFrame, frameJson, type Frame } from '../supervisor/frames.js';
import { connectSupervisor, endOf, type ContainerEnd, type SupervisorLine } from '../supervisor/client.js';

/** Signals a terminal or a process manager sends to stop a foreground program: they go to the container. */
const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

export interface RelayOptions {
  /** Send our stdin to the container. */
  stdin: boolean;
  /** The supervisor says the command runs (its host pid). */
  onStarted?(pid: number): void;
}

/** Relay LINE until the container ends (or the supervisor goes away). */
export async function relay(line: SupervisorLine, options: RelayOptions): Promise<ContainerEnd> {
  const send = (type: Parameters<typeof encodeFrame>[0], payload?: Buffer | string) => line.connection.write(encodeFrame(type, payload));
  const forward = (signal: NodeJS.Signals) => send(FRAME.signal, signal);
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  const onInput = (chunk: Buffer) => send(FRAME.stdin, chunk);
  const onInputEnd = () => send(FRAME.stdinEnd);
  if (options.stdin) process.stdin.on('data', onInput).once('end', onInputEnd);
  try {
    return await endOf(line, (frame: Frame) => {
      if (frame.type === FRAME.stdout) process.stdout.write(frame.payload);
      else if (frame.type === FRAME.stderr) process.stderr.write(frame.payload);
      else if (frame.type === FRAME.started) options.onStarted?.(frameJson<{ pid: number }>(frame).pid);
    });
  } finally {
    for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
    if (options.stdin) {
      process.stdin.off('data', onInput).off('end', onInputEnd);
      process.stdin.destroy(); // an unread stdin (a terminal, a pipe nobody closes) would keep us alive
    }
  }
}

/** The exit status for how a container ended; throws the one line to print when it failed. */
export function statusOf(end: ContainerEnd, reference: string): number {
  if (end.error) throw new RunError(end.error, end.status ?? EXIT_RUNTIME_FAILED);
  if (end.status === undefined) throw new RunError(`${reference}: the supervisor went away before the container ended (killed?); see cellblock ps -a`, EXIT_RUNTIME_FAILED);
  return end.status;
}

export async function attach(reference: string, options: { stdin: boolean }): Promise<number> {
  const record = findRecord(reference);
  const line = isAlive(record) ? await connectSupervisor(record, { stdin: options.stdin, output: true }) : undefined;
  if (!line) throw new Error(`cannot attach to container ${reference}: it is not running`);
  return statusOf(await relay(line, { stdin: options.stdin && record.openStdin }), reference);
}
