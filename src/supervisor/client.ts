// The CLI's side of the supervisor: start one for a container, or reach the
// one that runs it (protocol: frames.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { attachSocketPath, isAlive, type ContainerRecord } from '../runtime/records.js';
import { FRAME, FrameDecoder, encodeFrame, frameJson, type Frame } from './frames.js';
import type { StartRequest } from './supervise.js';
import type { Namespace } from '../runtime/isolation.js';

const SUPERVISOR = fileURLToPath(new URL('./main.js', import.meta.url));

/** A live line to a supervisor: send frames, read decoded ones. */
export interface SupervisorLine {
  connection: Socket;
  frames: FrameDecoder;
}

/** How the container's stdio is wired: what the supervisor needs before it can spawn the init. */
export interface StdioMode {
  stdin: boolean;
  tty: boolean;
  /** …and whether the init gets a network namespace of its own (every --network but host). */
  netns?: boolean;
  /** --network NAME: the init joins the rootless network namespace's user namespace (src/network/rootless-netns.ts). */
  rootlessNetns?: boolean;
  /** --no-isolate and friends: the namespaces the init does not get (src/userns/spawn.ts, unshareArgs). */
  share?: Namespace[];
}

export interface LaunchedSupervisor extends SupervisorLine {
  process: ChildProcess;
  /** Settles when the supervisor process has exited. */
  exited: Promise<void>;
  /** The first thing to tell it: then it spawns the container's init. */
  configure(mode: StdioMode): void;
  /** The second: which container that is. */
  start(request: StartRequest): void;
  /** No container after all (bad input): the supervisor takes its init down and exits. */
  abort(): Promise<void>;
}

/**
 * Start a supervisor. It boots, waits for configure() and spawns the
 * container's init, then waits for start() to say which container that is.
 * `detached`: a session of its own, so a terminal's hang-up or Ctrl-C never
 * reaches it — only what a client relays does.
 */
export function launchSupervisor(): LaunchedSupervisor {
  const child = spawn(process.execPath, [SUPERVISOR], {
    detached: true,
    // Not even stderr is shared: a supervisor holding our stdout or stderr
    // would keep a `run -d`'s caller waiting for end-of-file until the container ends.
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    cwd: '/',
  });
  const connection = child.stdio[3] as Socket;
  connection.on('error', () => {});
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  return {
    process: child,
    connection,
    frames: connection.pipe(new FrameDecoder()),
    exited,
    configure: (mode) => connection.write(encodeFrame(FRAME.mode, mode)),
    start: (request) => connection.write(encodeFrame(FRAME.start, request)),
    abort: async () => {
      connection.end();
      await exited;
    },
  };
}

let early: LaunchedSupervisor | undefined;

/** main.ts, for `run`: launch the supervisor before the rest of the CLI is loaded. */
export function launchEarlySupervisor(): void {
  early = launchSupervisor();
}

/** The supervisor main.ts launched, if any, now the caller's (to use, or to abort). */
export function takeEarlySupervisor(): LaunchedSupervisor | undefined {
  const taken = early;
  early = undefined;
  return taken;
}

/** Connect to the supervisor of RECORD; undefined when there is none (the container is not running). */
export async function connectSupervisor(record: ContainerRecord, hello: { stdin: boolean; output: boolean }): Promise<SupervisorLine | undefined> {
  if (!isAlive(record)) return undefined; // (a supervisor still setting up has no container to talk about)
  const connection = connect(attachSocketPath(record.id));
  try {
    await new Promise<void>((resolve, reject) => connection.once('connect', resolve).once('error', reject));
  } catch {
    return undefined; // ENOENT or ECONNREFUSED: no supervisor listens
  }
  connection.on('error', () => {});
  connection.write(encodeFrame(FRAME.hello, hello));
  return { connection, frames: connection.pipe(new FrameDecoder()) };
}

/** How a container ended, as its supervisor said; empty when the supervisor vanished without saying. */
export interface ContainerEnd {
  status?: number;
  error?: string;
}

/** Wait for LINE's last frame (or its closing). */
export function endOf(line: SupervisorLine, onFrame: (frame: Frame) => void = () => {}): Promise<ContainerEnd> {
  return new Promise((resolve) => {
    let end: ContainerEnd = {};
    line.frames.on('data', (frame: Frame) => {
      if (frame.type === FRAME.exit) end = frameJson<ContainerEnd>(frame);
      else onFrame(frame);
    });
    // The decoder's end comes after its last frame; a connection torn down by
    // an error never ends the decoder, so its closing counts too.
    line.frames.once('end', () => resolve(end));
    line.connection.once('close', () => setImmediate(() => resolve(end)));
  });
}

/** Wait until RECORD's container has ended (at once if it is not running). */
export async function waitForEnd(record: ContainerRecord): Promise<ContainerEnd> {
  const line = await connectSupervisor(record, { stdin: false, output: false });
  return line ? endOf(line) : {};
}

/**
 * Until the container's command runs (undefined) or the container has ended
 * before that (how): what `run -d` and `start` wait for before returning.
 */
export function startOf(line: SupervisorLine): Promise<ContainerEnd | undefined> {
  return new Promise((resolve) => {
    line.frames.on('data', (frame: Frame) => {
      if (frame.type === FRAME.started) resolve(undefined);
      else if (frame.type === FRAME.exit) resolve(frameJson<ContainerEnd>(frame));
      else if (frame.type === FRAME.explain) process.stderr.write(frame.payload); // run -d --explain: all of it comes before "started"
    });
    line.connection.once('close', () => setImmediate(() => resolve({})));
  });
}

/** Leave the container running: the supervisor keeps it, whatever happens to us now. */
export function detach(line: SupervisorLine): void {
  line.connection.end(encodeFrame(FRAME.detach));
}

/**
 * run -d and start: wait until the command runs, then leave it to SUPERVISOR.
 * Resolves with how the container ended instead when it never got that far.
 */
export async function detachOnceStarted(supervisor: LaunchedSupervisor): Promise<ContainerEnd | undefined> {
  const failed = await startOf(supervisor);
  if (failed) return failed;
  detach(supervisor);
  supervisor.process.unref();
  return undefined;
}
