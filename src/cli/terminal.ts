// The user's side of an interactive terminal (exec -it, run -it, attach).
//
// The container has a terminal of its own (a pty, chapter 9); the user's
// terminal must get out of its way. Normally a terminal is "cooked": the
// kernel collects a line before a program sees it, echoes keys, and turns
// ^C into SIGINT for whoever runs in front of it. All of that must happen
// once, inside the container, not twice — so the user's terminal goes raw
// (no echo, no line editing, no signals from keys, no output processing:
// `stty raw -echo -opost`) and every byte typed is passed on as it is, ^C
// included, and every byte from the container is shown as it is.
//
// Raw mode outlives the program that set it: a cellblock that died raw
// leaves a shell that echoes nothing and ignores Enter, until `reset`. Node
// puts its stdio's modes back when it exits normally or on an uncaught
// exception, but a signal can end it without that (measured: SIGHUP, and a
// SIGTERM once JavaScript listens for it). So the terminal is put back on
// every way out, by us: the normal end, an error, an uncaught exception, and
// SIGINT/SIGTERM/SIGHUP sent to cellblock. (SIGKILL cannot be caught: only
// `stty sane` or `reset` help then.)
import { disableOutputProcessing, type WindowSize } from '../syscalls/index.js';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** ctrl-@ is byte 0, ctrl-a 1 … ctrl-z 26, then ctrl-[ ctrl-\ ctrl-] ctrl-^ ctrl-_ are 27 … 31. */
const CONTROL_KEYS = '@abcdefghijklmnopqrstuvwxyz[\\]^_';

/**
 * docker's --detach-keys: comma-separated keys, each a single character or
 * ctrl-<a-z @ [ \ ] ^ _>. An empty string disables detaching (as podman).
 */
export function parseDetachKeys(value: string): Buffer {
  if (value === '') return Buffer.alloc(0);
  return Buffer.from(value.split(',').map((key) => {
    const control = /^ctrl-(.)$/.exec(key);
    if (control && CONTROL_KEYS.includes(control[1])) return CONTROL_KEYS.indexOf(control[1]);
    if (Buffer.byteLength(key) === 1) return key.charCodeAt(0);
    throw new Error(`invalid --detach-keys "${value}": unknown key "${key}" (use a single character or ctrl-<a-z @ [ \\ ] ^ _>, comma separated)`);
  }));
}

/**
 * Removes the detach sequence from what the user types. Keys arrive in
 * reads of any size, so a sequence may be split across two reads: a prefix
 * of it is held back until the next byte says whether it is the sequence
 * (then it is swallowed) or not (then it is passed on, late but intact).
 */
export class DetachFilter {
  private held: number[] = [];

  constructor(private readonly keys: Buffer) {}

  /** The bytes of CHUNK to pass on, and whether the sequence is now complete (the rest of CHUNK is dropped). */
  push(chunk: Buffer): { data: Buffer; detach: boolean } {
    if (this.keys.length === 0) return { data: chunk, detach: false };
    const out: number[] = [];
    for (const byte of chunk) {
      this.held.push(byte);
      // Pass on bytes from the front until what is held could still become the sequence.
      while (this.held.length > 0 && !this.held.every((b, i) => b === this.keys[i])) out.push(this.held.shift()!);
      if (this.held.length === this.keys.length) {
        this.held = [];
        return { data: Buffer.from(out), detach: true };
      }
    }
    return { data: Buffer.from(out), detach: false };
  }
}

export interface TerminalOptions {
  /**
   * Receives what the user types: raw bytes, detach keys removed. Without
   * it, stdin is not read and stays as it is (-t without -i).
   */
  input?: (bytes: Buffer) => void;
  /** The user's window changed size (SIGWINCH): pass it on, e.g. with setWindowSize on the pty. */
  onResize?: (size: WindowSize) => void;
  /** The detach keys were typed; the terminal is already restored. */
  onDetach?: () => void;
  /** From parseDetachKeys; DEFAULT_DETACH_KEYS when not given. */
  detachKeys?: Buffer;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
}

export interface Terminal {
  /** Show bytes from the container's terminal. */
  output(bytes: Buffer): void;
  /** The user's window size, or undefined when stdout is not a terminal (or tells none). */
  size(): WindowSize | undefined;
  /** Back to the terminal as it was; stop reading stdin and drop every hook. Safe to call again. */
  restore(): void;
}

const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Take over the user's terminal. A caller that handles SIGINT, SIGTERM or
 * SIGHUP itself (exec passes them to its command) keeps doing so, and the
 * terminal is restored when the process exits; for a signal nobody else
 * handles, the terminal is restored and the signal then ends the process
 * as it would have without us.
 */
export function openTerminal(options: TerminalOptions): Terminal {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const filter = new DetachFilter(options.detachKeys ?? parseDetachKeys(DEFAULT_DETACH_KEYS));
  const raw = options.input !== undefined && stdin.isTTY;
  let restored = false;

  const size = (): WindowSize | undefined =>
    stdout.isTTY && stdout.rows > 0 && stdout.columns > 0 ? { rows: stdout.rows, cols: stdout.columns } : undefined;

  const onData = (chunk: Buffer) => {
    const { data, detach } = filter.push(chunk);
    if (data.length > 0) options.input!(data);
    if (detach) {
      restore();
      options.onDetach?.();
    }
  };
  // Node turns SIGWINCH into 'resize' on a terminal stdout.
  const onResize = () => {
    const now = size();
    if (now) options.onResize?.(now);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (process.listenerCount(signal) > 1) return; // the caller's handler decides; 'exit' restores
    restore();
    process.kill(process.pid, signal); // no handler left: the default action, as if we had never listened
  };
  const onExit = () => restore();

  function restore(): void {
    if (restored) return;
    restored = true;
    if (raw) stdin.setRawMode(false); // Node saved the modes it found, and puts exactly those back
    if (options.input) {
      stdin.off('data', onData);
      stdin.pause();
    }
    stdout.off('resize', onResize);
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
    process.off('exit', onExit);
    process.off('uncaughtExceptionMonitor', onExit);
  }

  // Hooks first, raw mode last: no moment where the terminal is raw and nothing would put it back.
  process.on('exit', onExit);
  // Runs before Node prints an uncaught exception (or unhandled rejection) and exits; 'exit' does not.
  process.on('uncaughtExceptionMonitor', onExit);
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  stdout.on('resize', onResize);
  if (options.input) {
    if (raw) {
      stdin.setRawMode(true);
      // Node's raw mode keeps output processing on: turn it off too (setRawMode(false) restores it with the rest).
      disableOutputProcessing((stdin as NodeJS.ReadStream & { fd: number }).fd);
    }
    stdin.on('data', onData);
    stdin.resume();
  }
  return { output: (bytes) => void stdout.write(bytes), size, restore };
}
