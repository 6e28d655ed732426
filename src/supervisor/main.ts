// The supervisor, one per running container (podman has conmon, docker
// containerd-shim): a small process in a session of its own that outlives the
// `cellblock run` that started it. It is the parent of the container's
// setpriv→unshare chain, so it alone gets pid 1's exit status; it owns the
// container's stdio, writes the log, records how the container ended and
// removes it (--rm). Clients (the CLI) talk to it over a socket.
//
// The CLI that launched it talks to it over fd 3: first how the container's
// stdio is wired ({"stdin": bool, "tty": bool}) — enough to spawn the init,
// before the CLI has even finished checking its input — then, later, which
// container it is.
import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import { runtimeDir } from '../runtime/paths.js';
import { spawnInit, type InitStdio } from '../userns/spawn.js';
import type { StdioMode } from './client.js';
import { fifos } from './fifo.js';
import { FRAME, FrameDecoder, frameJson, nextFrame } from './frames.js';
import type { SupervisorFds } from './stdio.js';
import { logCrashes } from './crash-log.js';

logCrashes();

const control = new Socket({ fd: 3, readable: true, writable: true });
control.on('error', () => {});
const controlFrames = control.pipe(new FrameDecoder());
const first = await nextFrame(controlFrames);
if (first?.type !== FRAME.mode) process.exit(0); // the CLI gave up (a bad flag, --help) before it had a container
const mode = frameJson<StdioMode>(first);

// Without a terminal: pipes for stdio, not sockets (see fifo.ts). The
// child's ends are closed here once it has them, so each pipe's EOF comes
// when the container ends.
const ours: SupervisorFds = {};
const theirs: number[] = [];
let stdio: InitStdio;
if (mode.tty) {
  // The terminal is opened by the init, inside the container; what we get
  // is its master side, through this socket (src/init/console.ts).
  const { socketPair } = await import('../syscalls/socket.js');
  const [console, theirConsole] = socketPair();
  stdio = { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore', console: theirConsole };
  theirs.push(theirConsole);
  ours.console = console;
} else {
  const [stdout, stderr, stdin] = fifos(runtimeDir(), mode.stdin ? 3 : 2);
  stdio = { stdin: stdin?.read ?? 'ignore', stdout: stdout.write, stderr: stderr.write };
  Object.assign(ours, { stdin: stdin?.write, stdout: stdout.read, stderr: stderr.read });
  theirs.push(stdout.write, stderr.write, ...(stdin ? [stdin.read] : []));
}
// --network NAME: the rootless network namespace must exist before the init
// can join its user namespace (src/network/rootless-netns.ts). If it cannot
// be had, the init is spawned in namespaces of its own and the error told
// when it is ready (supervise.ts): the CLI hears it the usual way.
let rootlessNetns: { holder?: number; error?: Error } | undefined;
if (mode.rootlessNetns) {
  const { reserveRootlessNetns } = await import('../network/rootless-netns.js');
  rootlessNetns = await reserveRootlessNetns().then((holder) => ({ holder }), (error: Error) => ({ error }));
}
const init = spawnInit({ netns: mode.netns, joinUserns: rootlessNetns?.holder, share: mode.share }, stdio);
for (const fd of theirs) closeSync(fd);

const { supervise } = await import('./supervise.js');
await supervise(init, control, controlFrames, ours, rootlessNetns);
