// The supervisor's end of a container's stdio: three pipes, or one terminal.
// Either way the supervisor does the same things with it — read output once
// the command runs, write what clients type, and know when the output has
// ended — so both look alike from supervise.ts.
import { Socket } from 'node:net';
import { ReadStream } from 'node:tty';
import type { LogStream } from '../runtime/log-file.js';
import type { WindowSize } from '../syscalls/tty.js';

/** Our ends, as main.ts made them: pipe ends, or the socket the terminal's master side arrives on. */
export interface SupervisorFds {
  stdin?: number;
  stdout?: number;
  stderr?: number;
  console?: number;
}

export interface ContainerStdio {
  /** Bytes for the container's stdin (or what is typed on its terminal). */
  write(data: Buffer): void;
  /** The client's stdin ended: close the container's (a terminal has no end of input: ignored). */
  endInput(): void;
  resize(size: WindowSize): void;
  /** Start reading output (once the command runs); until then it waits in the kernel. */
  resume(): void;
  /** Settles when every output stream has reached its end. */
  ended: Promise<void>;
  close(): void;
}

type OnOutput = (stream: LogStream, chunk: Buffer) => void;

export function containerStdio(fds: SupervisorFds, onOutput: OnOutput, onEnd: (stream: LogStream) => void): ContainerStdio {
  return fds.console === undefined ? pipeStdio(fds, onOutput, onEnd) : terminalStdio(fds.console, onOutput, onEnd);
}

function pipeStdio(fds: SupervisorFds, onOutput: OnOutput, onEnd: (stream: LogStream) => void): ContainerStdio {
  const stdin = fds.stdin === undefined ? undefined : new Socket({ fd: fds.stdin, readable: false, writable: true });
  stdin?.on('error', () => {}); // EPIPE: the container closed its stdin; what was not read is lost, as with any pipe
  const outputs = ([['stdout', fds.stdout], ['stderr', fds.stderr]] as const).flatMap(([name, fd]) => {
    if (fd === undefined) return [];
    const stream = new Socket({ fd, readable: true, writable: false });
    stream.pause();
    stream.on('data', (chunk: Buffer) => onOutput(name, chunk)).on('error', () => {});
    return [{ stream, ended: new Promise<void>((resolve) => stream.once('close', () => resolve(onEnd(name)))) }];
  });
  return {
    write: (data) => void stdin?.write(data),
    endInput: () => void stdin?.end(),
    resize: () => {},
    resume: () => outputs.forEach(({ stream }) => stream.resume()),
    ended: Promise.all(outputs.map(({ ended }) => ended)).then(() => undefined),
    close: () => void stdin?.destroy(),
  };
}

/**
 * A terminal has one side for everything, so stdout and stderr are one
 * stream (docker logs them as stdout too). Its master side comes from the
 * init over FD with SCM_RIGHTS; Node wraps it as node-pty does, in a
 * tty.ReadStream, which reads and writes.
 */
function terminalStdio(fd: number, onOutput: OnOutput, onEnd: (stream: LogStream) => void): ContainerStdio {
  let master: { fd: number; stream: ReadStream; setWindowSize: (fd: number, size: WindowSize) => void } | undefined;
  let resumed = false;
  const early: Buffer[] = []; // typed before the terminal arrived
  // (The FFI is loaded here, for terminals only: it costs ~20 ms, and a
  // container without a terminal never needs it in the supervisor.)
  const ended = Promise.all([import('../runtime/console.js'), import('../syscalls/tty.js')]).then(([{ receiveConsole }, { setWindowSize }]) => receiveConsole(fd).then(
    (masterFd) => new Promise<void>((resolve) => {
      const stream = new ReadStream(masterFd);
      master = { fd: masterFd, stream, setWindowSize };
      if (!resumed) stream.pause();
      // Once the last process holding the terminal's other side has exited,
      // reading the master fails with EIO: that is its end-of-file.
      stream.on('data', (chunk: Buffer) => onOutput('stdout', chunk)).on('error', () => {});
      stream.once('close', () => resolve(onEnd('stdout')));
      for (const data of early.splice(0)) stream.write(data);
    }),
    () => onEnd('stdout'), // no terminal ever came: the init failed first, and says why on the sync pipe
  ));
  return {
    write: (data) => void (master ? master.stream.write(data) : early.push(data)),
    endInput: () => {},
    resize: (size) => {
      if (master) master.setWindowSize(master.fd, size);
    },
    resume: () => {
      resumed = true;
      master?.stream.resume();
    },
    ended,
    close: () => master?.stream.destroy(),
  };
}
