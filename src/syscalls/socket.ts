// Passing an open file from one process to another (chapter 9).
//
// A file descriptor is only a number in one process's fd table; sending "7"
// to another process means nothing. A unix socket can carry the open file
// itself: sendmsg(2) with an SCM_RIGHTS control message makes the kernel
// install a new descriptor for the same open file in the receiver, which
// gets its own number. That is how a container's init hands the master side
// of its terminal to the process that will relay it.
//
// Node cannot do this itself: net.Socket has no way to send or receive
// control messages. Only the IPC channel between two Node processes
// (child_process 'ipc', process.send(message, handle)) passes descriptors,
// and only in its own framing, which the other end must speak too.
import { check, SyscallError } from './errors.js';
import { lastErrno, libc } from './libc.js';
import {
  AF_UNIX, MSG_CMSG_CLOEXEC, MSG_DONTWAIT, MSG_NOSIGNAL, SCM_RIGHTS, SOCK_CLOEXEC, SOCK_STREAM, SOL_SOCKET,
} from './constants.js';

/**
 * Two connected unix sockets, both close-on-exec: hand one to a child (as
 * an entry of spawn's stdio, which makes that copy inheritable) and keep the
 * other.
 */
export function socketPair(): [number, number] {
  const fds = [-1, -1];
  check(libc.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 'socketpair', 'AF_UNIX');
  return [fds[0], fds[1]];
}

// struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } then the
// data, padded to 8 bytes: CMSG_SPACE(sizeof(int)) = 24, CMSG_LEN = 16 + 4.
// (64-bit little-endian layout: x86-64 and arm64.)
const CMSG_HEADER = 16;
const CMSG_LEN_ONE_FD = CMSG_HEADER + 4;
const CMSG_SPACE_ONE_FD = 24;

/** One byte of ordinary data travels with the descriptor: a stream socket sends no empty messages. */
function message(data: Buffer, control: Buffer) {
  return {
    msg_name: null, msg_namelen: 0,
    msg_iov: [{ iov_base: data, iov_len: data.length }], msg_iovlen: 1,
    msg_control: control, msg_controllen: control.length, msg_flags: 0,
  };
}

/** Send FD over SOCKET. The receiver gets the same open file; ours stays open until we close it. */
export function sendFd(socket: number, fd: number): void {
  const control = Buffer.alloc(CMSG_SPACE_ONE_FD);
  control.writeBigUInt64LE(BigInt(CMSG_LEN_ONE_FD), 0);
  control.writeInt32LE(SOL_SOCKET, 8);
  control.writeInt32LE(SCM_RIGHTS, 12);
  control.writeInt32LE(fd, CMSG_HEADER);
  check(libc.sendmsg(socket, message(Buffer.from([0]), control), MSG_NOSIGNAL), 'sendmsg', String(socket));
}

/**
 * Wait for a descriptor on SOCKET and return it (close-on-exec). Rejects when
 * the other end closes first, or sends data without a descriptor.
 *
 * recvmsg blocks until something arrives, which would stop Node's event loop,
 * so it waits on one of koffi's worker threads. That thread's errno is lost
 * when it fails, so a failure is asked again here without blocking: this
 * thread's errno then names it (EAGAIN means it was only interrupted: wait again).
 */
export async function receiveFd(socket: number): Promise<number> {
  const data = Buffer.alloc(1);
  const control = Buffer.alloc(CMSG_SPACE_ONE_FD);
  for (;;) {
    const received = await new Promise<number>((resolve, reject) => {
      libc.recvmsg.async(socket, message(data, control), MSG_CMSG_CLOEXEC, (error: unknown, result: number) => {
        if (error) reject(error);
        else resolve(Number(result));
      });
    });
    if (received !== -1) return descriptorIn(received, control, socket);
    const again = Number(libc.recvmsg(socket, message(data, control), MSG_CMSG_CLOEXEC | MSG_DONTWAIT));
    if (again !== -1) return descriptorIn(again, control, socket);
    const failure = new SyscallError('recvmsg', String(socket), lastErrno());
    if (failure.code !== 'EAGAIN' && failure.code !== 'EINTR') throw failure;
  }
}

function descriptorIn(received: number, control: Buffer, socket: number): number {
  if (received === 0) throw new Error(`recvmsg(${socket}): the other end closed without sending a file descriptor`);
  const length = Number(control.readBigUInt64LE(0));
  const level = control.readInt32LE(8);
  const type = control.readInt32LE(12);
  if (length < CMSG_LEN_ONE_FD || level !== SOL_SOCKET || type !== SCM_RIGHTS) {
    throw new Error(`recvmsg(${socket}): a message came without a file descriptor`);
  }
  return control.readInt32LE(CMSG_HEADER);
}
