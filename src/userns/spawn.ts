// Step 1 — the one thing Node cannot do: enter new namespaces.
//
// unshare(CLONE_NEWUSER) and setns() into a user or mount namespace are
// refused (EINVAL) to a process with more than one thread, and Node always has
// several (V8's platform workers, libuv's pool). Forking Node does not help
// either: V8 allocates its heap with MADV_DONTFORK, so a forked child has no
// heap and crashes on its first JavaScript instruction. runc meets the same
// wall with Go and answers with C that runs before the Go runtime starts
// (libcontainer/nsenter/nsexec.c). Our answer is util-linux unshare(1), a
// small single-threaded C program that creates the namespaces and then
// execs a fresh Node, which runs src/init/main.ts inside them.
//
//   setpriv --pdeathsig KILL     if cellblock dies, even by SIGKILL, unshare dies too…
//   unshare --user --keep-caps   …a user namespace; keep its capabilities across exec
//           --mount --propagation unchanged   a mount namespace (made private by our init, visibly)
//           --pid --fork         a pid namespace: its first child becomes pid 1
//           --kill-child         …and unshare dying kills that child: no orphans
//           --uts --ipc          a hostname and IPC objects of its own
//           [--net]              a network namespace (every --network but host, chapter 10)
//           node dist/init/main.js
//
// On a user-defined network (chapter 10) there is no --user: the chain is
// `nsenter --user=/proc/HOLDER/ns/user -- unshare --mount … --net`, joining
// the rootless network namespace's user namespace (src/network/rootless-netns.ts),
// whose maps were written when it was made. The container's namespaces are
// then owned by that user namespace, like the bridge it is plugged into —
// which is what lets a veth pair join the two (src/network/veth.ts).
//
// --keep-caps matters: unshare gets every capability in the new user
// namespace, but exec recomputes them, and while no uid is mapped yet the
// process is "nobody" inside, so exec would drop them all. Keeping them as
// ambient capabilities lets the init mount things.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SYNC_FD, encode, type InitMessage, type ParentMessage } from '../runtime/protocol.js';
import type { Readable, Writable } from 'node:stream';
import { applyIdMap, type IdMapPlan } from './idmap.js';
import type { Namespace } from '../runtime/isolation.js';

const INIT_SCRIPT = fileURLToPath(new URL('../init/main.js', import.meta.url));

export interface NamespaceOptions {
  /** A network namespace of its own (src/network/mode.ts); without one, the host's network is shared. */
  netns?: boolean;
  /** Join the user namespace of this process (the rootless network namespace's holder) instead of making one. */
  joinUserns?: number;
  /**
   * Namespaces NOT to make (--no-isolate, src/runtime/isolation.ts): the
   * child stays in ours. "net" is netns's business; "user" comes only with
   * all the others (without a user namespace, unshare may make none: EPERM).
   */
  share?: readonly Namespace[];
}

/** The unshare(1) options that make each namespace (--fork and --kill-child stay: unshare remains the parent that dies with its child). */
const UNSHARE_FLAGS: Partial<Record<Namespace, readonly string[]>> = {
  user: ['--user', '--keep-caps'], mount: ['--mount', '--propagation', 'unchanged'], pid: ['--pid'], uts: ['--uts'], ipc: ['--ipc'],
};

export function unshareArgs(options: NamespaceOptions): string[] {
  // The chain with every namespace (below, as chapters 02 and 10 show it),
  // less the options of the namespaces the container shares with the host.
  if (options.share?.length) {
    const args = unshareArgs({ ...options, share: undefined });
    const dropped = new Set(options.share.flatMap((namespace) => UNSHARE_FLAGS[namespace] ?? []));
    const command = args.lastIndexOf('--'); // what follows is node and the init's path
    return [...args.slice(0, command).filter((arg) => !dropped.has(arg)), ...args.slice(command)];
  }
  const user = options.joinUserns === undefined ? ['unshare', '--user', '--keep-caps'] : ['nsenter', `--user=/proc/${options.joinUserns}/ns/user`, '--', 'unshare'];
  return [
    '--pdeathsig', 'KILL', '--',
    ...user, '--mount', '--propagation', 'unchanged',
    '--pid', '--fork', '--kill-child', '--uts', '--ipc', ...(options.netns ? ['--net'] : []), '--',
    process.execPath, INIT_SCRIPT,
  ];
}

/** How the setpriv→unshare process ended: its wait status, or why it never started. */
export type InitEnd = { code: number | null; signal: NodeJS.Signals | null } | { error: Error };

/**
 * A Node process started by setpriv→unshare in namespaces of its own, and
 * the parent's end of its sync pipe (fd 3): it sends FROM_CHILD messages and
 * reads TO_CHILD ones, one JSON object per line (src/runtime/protocol.ts).
 */
export interface SpawnedInNamespaces<FromChild, ToChild> {
  /** The setpriv→unshare process; its exit status is the child's. */
  process: ChildProcess;
  /** Settles once, however it ends — listened for from the start, so nothing is missed. */
  ended: Promise<InitEnd>;
  /** Messages from the child, in order, ending when the sync pipe closes. */
  messages: AsyncIterable<FromChild>;
  /** What unshare(1), and the child's Node, printed on their stderr; settles when they are done. */
  diagnostics: Promise<string>;
  send(message: ToChild): void;
  /** Give up on this child (bad input found after spawning): kill it and wait for it to go. */
  abort(): Promise<void>;
}

/** The container's init: it says ready/exec/error, and is told "go" with the container's spec. */
export type SpawnedInit = SpawnedInNamespaces<InitMessage, ParentMessage>;

/**
 * Where the container's stdio goes: fds of the supervisor's (pipe ends), or
 * /dev/null. With a terminal (-t) all three are /dev/null here — the init
 * opens the terminal inside the container — and CONSOLE is the supervisor's
 * socket end that the init sends the terminal's master side through.
 */
export interface InitStdio {
  stdin: number | 'ignore';
  stdout: number | 'ignore';
  stderr: number | 'ignore';
  console?: number;
}

export function spawnInit(options: NamespaceOptions, stdio: InitStdio): SpawnedInit {
  return spawnInNamespaces<InitMessage, ParentMessage>(unshareArgs(options), {
    // fd 2 is a pipe to us for diagnostics, fd 3 the sync pipe, fd 4 the payload's stderr (see STDERR_FD).
    stdio: [stdio.stdin, stdio.stdout, 'pipe', 'pipe', stdio.stderr, ...(stdio.console === undefined ? [] : [stdio.console])],
    // A session of its own: a terminal's signals never reach the container
    // directly; the supervisor relays what its clients ask for.
    detached: true,
  });
}

/**
 * Spawn `setpriv SETPRIV_ARGS` — which runs unshare(1), which runs a Node
 * script — and hold the parent's end of its sync pipe. fd 2 must be a pipe
 * (diagnostics) and fd 3 the sync pipe; fds 0, 1 and 4 are the caller's choice.
 * The container's init and the layer unpacker (src/image/unpack.ts) both start here.
 */
export function spawnInNamespaces<FromChild, ToChild extends { type: string }>(
  setprivArgs: string[],
  options: { stdio: StdioOptions; detached: boolean },
): SpawnedInNamespaces<FromChild, ToChild> {
  const child = spawn('setpriv', setprivArgs, options);
  const pipe = child.stdio[SYNC_FD] as Readable & Writable;
  // The child may die without reading what we send (EPIPE): its exit status says why.
  pipe.on('error', () => {});
  // The iterator is made now, not when someone starts reading: readline only
  // queues the lines that arrive after it exists, and "ready" may come early.
  const reader = createInterface({ input: pipe, crlfDelay: Infinity });
  const lines = reader[Symbol.asyncIterator]();
  async function* messages(): AsyncGenerator<FromChild> {
    for (let next = await lines.next(); !next.done; next = await lines.next()) {
      if (next.value) yield JSON.parse(next.value) as FromChild;
    }
  }
  const stderr = child.stdio[2] as Readable;
  const diagnostics = new Promise<string>((resolve) => {
    let text = '';
    stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (text.length < 65536) text += chunk;
    });
    stderr.once('close', () => resolve(text));
  });
  const ended = new Promise<InitEnd>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => {
      // Never started (setpriv missing, say): Node leaves its pipes open with
      // nothing behind them, so they would never end. Close them ourselves.
      reader.close();
      pipe.destroy();
      stderr.destroy();
      resolve({ error });
    });
  });
  // Gone for good: unshare has exited, and the sync pipe has closed — the
  // child holds its end until it dies (with --fork, of --kill-child's
  // SIGKILL, a moment after unshare), so that closing is the event that says so.
  const gone = Promise.all([ended, new Promise<void>((resolve) => pipe.once('close', () => resolve()))]).then(() => undefined);
  return {
    process: child,
    ended,
    messages: messages(),
    diagnostics,
    send: (message) => pipe.write(encode(message)),
    abort: () => {
      child.kill('SIGKILL'); // unshare (or, without --fork, the Node it became); --kill-child takes a forked child with it
      // …almost always: the forked child asks for that death signal
      // (PR_SET_PDEATHSIG) only after fork, so a kill that lands in between
      // orphans it, and it would wait for "go" forever, holding the pipe
      // open. Closing our end gives it end-of-file instead: it exits.
      void ended.then(() => pipe.destroy());
      return gone;
    },
  };
}

/**
 * Step 2, the same for every child started in new namespaces (a container's
 * init, an unpacker): when it says "ready", write its id maps, tell the
 * caller (ONREADY, awaited: a network helper may have to come up), then send GO. Every other message is the caller's. Ends
 * when the sync pipe closes; if the maps cannot be written, the child is
 * killed and the error thrown. No IDMAP: the child joined a user namespace
 * whose maps were written long ago (nsenter), and only needs its GO.
 */
export async function* converse<FromChild extends { type: string }, ToChild extends { type: string }>(
  child: SpawnedInNamespaces<FromChild, ToChild>, idMap: IdMapPlan | undefined, go: ToChild, onReady?: (pid: number) => void | Promise<void>,
): AsyncGenerator<Exclude<FromChild, { type: 'ready' }>> {
  try {
    for await (const message of child.messages) {
      if (message.type !== 'ready') {
        yield message as Exclude<FromChild, { type: 'ready' }>;
        continue;
      }
      const { pid } = message as unknown as { pid: number };
      try {
        if (idMap) await applyIdMap(pid, idMap);
        await onReady?.(pid);
      } catch (error) {
        await child.abort();
        throw error;
      }
      child.send(go);
    }
  } catch (error) {
    // A child that dies with "go" unread in its socket makes the kernel answer
    // our next read with ECONNRESET instead of end-of-file. Its messages, if
    // any, came before: this is just the end of the conversation.
    if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') throw error;
  }
}

/** Why a child ended before doing its job, in one line: it never started, or what it said, or how it ended. */
export function describeEnd(end: InitEnd, diagnostics: string): string {
  if ('error' in end) return `cannot start setpriv/unshare (util-linux): ${end.error.message}`;
  const said = diagnostics.trim().split('\n')[0];
  return said || (end.signal ? `killed by ${end.signal}` : `exit status ${end.code}`);
}
