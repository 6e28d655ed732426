// The supervisor, one per running container (podman has conmon, docker
// containerd-shim): a small process in a session of its own that outlives the
// `cellblock run` that started it. It is the parent of the container's
// setpriv→unshare chain, so it alone gets pid 1's exit status; it owns the
// container's stdio, writes the log, records how the container ended and
// removes it (--rm). Clients (the CLI) talk to it over a socket.
//
// argv[2] says how the container's stdio is wired ({"stdin": bool, "tty":
// bool}), so that the init can be spawned at once, before the CLI has even
// finished checking its input; which container it is comes later, over fd 3.
import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import { pipe } from '../syscalls/fd.js';
import { socketPair } from '../syscalls/socket.js';
import { spawnInit, type InitStdio } from '../userns/spawn.js';
import type { SupervisorFds } from './stdio.js';

const mode = JSON.parse(process.argv[2] ?? '{}') as { stdin?: boolean; tty?: boolean };

// Without a terminal: real pipes for stdio, not sockets (see pipe()). The
// child's ends are closed here once it has them, so each pipe's EOF comes
// when the container ends.
const ours: SupervisorFds = {};
const theirs: number[] = [];
let stdio: InitStdio;
if (mode.tty) {
  // The terminal is opened by the init, inside the container; what we get
  // is its master side, through this socket (src/init/console.ts).
  const [console, theirConsole] = socketPair();
  stdio = { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore', console: theirConsole };
  theirs.push(theirConsole);
  ours.console = console;
} else {
  const [stdoutRead, stdoutWrite] = pipe();
  const [stderrRead, stderrWrite] = pipe();
  const stdinPipe = mode.stdin ? pipe() : undefined;
  stdio = { stdin: stdinPipe ? stdinPipe[0] : 'ignore', stdout: stdoutWrite, stderr: stderrWrite };
  Object.assign(ours, { stdin: stdinPipe?.[1], stdout: stdoutRead, stderr: stderrRead });
  theirs.push(stdoutWrite, stderrWrite, ...(stdinPipe ? [stdinPipe[0]] : []));
}
const init = spawnInit({ network: 'host' }, stdio);
for (const fd of theirs) closeSync(fd);

const control = new Socket({ fd: 3, readable: true, writable: true });
const { supervise } = await import('./supervise.js');
await supervise(init, control, ours);
