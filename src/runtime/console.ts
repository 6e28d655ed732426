// The relay's side of CONSOLE_FD (see src/runtime/protocol.ts): how the
// process that will carry a container's terminal gets hold of it.
//
//   const [ours, theirs] = socketPair();
//   spawn the init with `theirs` as its fd 5 (an entry of spawn's stdio),
//   close `theirs` here, then
//   const master = await receiveConsole(ours);
//
// Closing our copy of the init's end matters: the init's end must be the
// last one open, or its death could never look like end-of-file to us.
// (unshare(1) holds a copy too, as it holds every fd it was given, until it exits.)
import { receiveFd } from '../syscalls/index.js';

/**
 * Resolve with the master side of the container's terminal, sent by its
 * init over SOCKET. Rejects when the init ends without sending one (its own
 * error then says why, on the sync pipe).
 */
export async function receiveConsole(socket: number): Promise<number> {
  try {
    return await receiveFd(socket);
  } catch (error) {
    throw new Error(`the container's init sent no terminal: ${(error as Error).message}`);
  }
}
