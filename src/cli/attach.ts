// cellblock attach — and the relay every attached CLI runs (run without -d,
// start -a): the container's output to our stdout and stderr, our stdin and
// signals to the container, until the supervisor says how it ended.
import { EXIT_RUNTIME_FAILED } from '../runtime/exit-status.js';
import { findRecord } from '../runtime/records.js';
import { RunError } from '../runtime/run.js';
import { FRAME, encodeFrame, frameJson, type Frame } from '../supervisor/frames.js';
import { connectSupervisor, detach, endOf, type ContainerEnd, type SupervisorLine } from '../supervisor/client.js';
import { crashLogPath } from '../supervisor/crash-log.js';

/** Signals a terminal or a process manager sends to stop a foreground program: they go to the container. */
const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

export interface RelayOptions {
  /** Send our stdin to the container. */
  stdin: boolean;
  /** The container has a terminal: ours goes raw, and its size follows ours. */
  tty?: boolean;
  /** With a terminal: the keys that detach (parseDetachKeys). */
  detachKeys?: Buffer;
  /** The supervisor says the command runs (its host pid). */
  onStarted?(pid: number): void;
}

/** How a relay ended: the container's end, or the user detached (the container runs on). */
export type RelayEnd = ContainerEnd & { detached?: boolean };

/** Relay LINE until the container ends (or the supervisor goes away). */
export async function relay(line: SupervisorLine, options: RelayOptions): Promise<RelayEnd> {
  return options.tty ? relayTerminal(line, options) : relayStreams(line, options);
}

const sender = (line: SupervisorLine) => (type: Parameters<typeof encodeFrame>[0], payload?: Buffer | string | object) => line.connection.write(encodeFrame(type, payload));

const onStartedFrame = (options: RelayOptions) => (frame: Frame) => {
  if (frame.type === FRAME.started) options.onStarted?.(frameJson<{ pid: number }>(frame).pid);
};

/**
 * With a terminal, keystrokes travel raw (^C is a byte, turned into SIGINT
 * by the container's own terminal, for its own foreground process group),
 * so no signal is relayed; ctrl-p ctrl-q detaches.
 */
async function relayTerminal(line: SupervisorLine, options: RelayOptions): Promise<RelayEnd> {
  const send = sender(line);
  const { openTerminal } = await import('./terminal.js');
  let detached = false;
  const terminal = openTerminal({
    input: options.stdin ? (bytes) => send(FRAME.stdin, bytes) : undefined,
    onResize: (size) => send(FRAME.resize, size),
    onDetach: () => {
      detached = true;
      detach(line);
    },
    detachKeys: options.detachKeys,
  });
  try {
    const size = terminal.size();
    if (size) send(FRAME.resize, size); // the terminal may have been made at another size (run -d -t, then attach)
    const started = onStartedFrame(options);
    const end = await endOf(line, (frame: Frame) => {
      if (frame.type === FRAME.stdout || frame.type === FRAME.stderr) terminal.output(frame.payload);
      // Our terminal is raw by now: a bare "\n" would only move down, not back to the left.
      else if (frame.type === FRAME.explain) process.stderr.write(frame.payload.toString().replaceAll('\n', '\r\n'));
      else started(frame);
    });
    return detached ? { detached } : end;
  } finally {
    terminal.restore();
  }
}

async function relayStreams(line: SupervisorLine, options: RelayOptions): Promise<RelayEnd> {
  const send = sender(line);
  const forward = (signal: NodeJS.Signals) => send(FRAME.signal, signal);
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  const onInput = (chunk: Buffer) => send(FRAME.stdin, chunk);
  const onInputEnd = () => send(FRAME.stdinEnd);
  if (options.stdin) process.stdin.on('data', onInput).once('end', onInputEnd);
  try {
    const started = onStartedFrame(options);
    return await endOf(line, (frame: Frame) => {
      if (frame.type === FRAME.stdout) process.stdout.write(frame.payload);
      else if (frame.type === FRAME.stderr || frame.type === FRAME.explain) process.stderr.write(frame.payload);
      else started(frame);
    });
  } finally {
    for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
    if (options.stdin) {
      process.stdin.off('data', onInput).off('end', onInputEnd);
      process.stdin.destroy(); // an unread stdin (a terminal, a pipe nobody closes) would keep us alive
    }
  }
}

/** The exit status for how a container ended (0 when the user detached); throws the one line to print when it failed. */
export function statusOf(end: RelayEnd, reference: string): number {
  if (end.detached) return 0;
  if (end.error) throw new RunError(end.error, end.status ?? EXIT_RUNTIME_FAILED);
  if (end.status === undefined) throw new RunError(`${reference}: the supervisor went away before the container ended (killed? if not, ${crashLogPath()} says why)`, EXIT_RUNTIME_FAILED);
  return end.status;
}

export async function attach(reference: string, options: { stdin: boolean; detachKeys?: string }): Promise<number> {
  const detachKeys = await detachKeysOption(options.detachKeys);
  const record = findRecord(reference);
  const line = await connectSupervisor(record, { stdin: options.stdin, output: true });
  if (!line) throw new Error(`cannot attach to container ${reference}: it is not running`);
  return statusOf(await relay(line, { stdin: options.stdin && record.openStdin, tty: record.spec.tty !== undefined, detachKeys }), reference);
}

/** --detach-keys, checked (terminal.ts is loaded only when it is given). */
export async function detachKeysOption(value: string | undefined): Promise<Buffer | undefined> {
  if (value === undefined) return undefined;
  const { parseDetachKeys } = await import('./terminal.js');
  return parseDetachKeys(value);
}
