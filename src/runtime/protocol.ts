// The sync pipe between the parent (cellblock) and the init, on fd 3 of the
// init. One JSON object per line. The conversation is always the same:
//
//   init   → parent   {"type":"ready","pid":4242}   I exist; my namespaces exist
//   parent → init     {"type":"go","spec":{…}}      ids are mapped; here is the container
//   init   → parent   {"type":"exec"}               setup done, calling execve now
//                 or  {"type":"error",…}            setup failed; exiting with `code`
//
// A successful execve closes the init's copy of its end (it is
// close-on-exec). unshare(1) holds another copy until it exits, with the
// container: only then does the parent read end-of-file.
//
// With `run --explain`, "go" says {"explain":true}, and between "go" and
// "exec" (and after "exec", up to the execve itself) the init tells what it
// does: {"type":"explain","told":{…}} — a step, or a system call it made.
import type { ContainerSpec } from './spec.js';

export const SYNC_FD = 3;

/**
 * The caller's stderr, handed to the init on fd 4. The init's fd 2 (and
 * unshare's) is a pipe to the parent instead, so whatever unshare(1) or the
 * init's Node prints about themselves reaches cellblock, not the payload's
 * stderr. The init moves fd 4 onto fd 2 just before execve.
 */
export const STDERR_FD = 4;

/**
 * With -t, one end of a unix socket on fd 5 of the init. The container's
 * terminal must come from the container's own devpts, so that its name
 * (/dev/pts/0) exists inside; that devpts exists only once the init has
 * mounted it, and the payload needs the terminal the moment it starts. So
 * the init opens the pty in between, keeps the slave side for the payload,
 * and sends the master side back over this socket (SCM_RIGHTS,
 * src/syscalls/socket.ts) to whoever relays it. A socket, not a pipe: only
 * unix sockets carry file descriptors. (runc's --console-socket is the same idea.)
 */
export const CONSOLE_FD = 5;

export type InitMessage =
  | { type: 'ready'; pid: number }
  | { type: 'exec' }
  | { type: 'error'; code: number; message: string }
  | { type: 'explain'; told: Narration };

/** go: the container, and whether to narrate its start (run --explain). */
export type ParentMessage = { type: 'go'; spec: ContainerSpec; explain?: boolean };

/**
 * One thing `run --explain` tells (src/init/explain.ts): a step starting (or
 * skipped: it does not apply to this container), or one system call it made
 * (src/syscalls/trace.ts). LAST marks the execve line, the init's last word:
 * execve does not return when it works.
 */
export type Narration =
  | { step: string; chapter: number; summary: string; skipped?: boolean }
  | { call: string; last?: boolean };

/**
 * One line on a sync pipe. Any conversation of this shape uses it: the
 * container's above, and the layer unpacker's (src/image/unpack/protocol.ts).
 */
export function encode(message: { type: string }): string {
  return JSON.stringify(message) + '\n';
}
