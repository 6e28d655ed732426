// Network interfaces, the way ifconfig(8) talks to the kernel (chapter 10).
//
// An interface's flags are read and written with ioctl(2) on any socket: the
// socket is only a handle on "the network stack of my network namespace", so
// a datagram socket that never sends anything will do. The argument is a
// struct ifreq — 16 bytes of name, then a union whose first member is the
// flags (a short) — 40 bytes in all on 64-bit Linux.
import { closeSync } from 'node:fs';
import { check } from './errors.js';
import { libc } from './libc.js';
import { AF_INET, IFF_UP, IFNAMSIZ, SIOCGIFFLAGS, SIOCSIFFLAGS, SOCK_CLOEXEC, SOCK_DGRAM } from './constants.js';

const IFREQ_SIZE = 40;

/**
 * Shell: ip link set NAME up (or: ifconfig NAME up). A new network namespace
 * has a loopback interface, but down: even 127.0.0.1 is unreachable until
 * someone brings it up. Needs CAP_NET_ADMIN in the user namespace that owns
 * the network namespace.
 */
export function setInterfaceUp(name: string): void {
  const socket = libc.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  check(socket, 'socket', 'AF_INET, SOCK_DGRAM');
  try {
    const request = Buffer.alloc(IFREQ_SIZE);
    request.write(name, 0, IFNAMSIZ - 1, 'latin1');
    check(libc.ioctl(socket, SIOCGIFFLAGS, 'void *', request), 'ioctl', `${name}, SIOCGIFFLAGS`);
    request.writeInt16LE(request.readInt16LE(IFNAMSIZ) | IFF_UP, IFNAMSIZ);
    check(libc.ioctl(socket, SIOCSIFFLAGS, 'void *', request), 'ioctl', `${name}, SIOCSIFFLAGS`);
  } finally {
    closeSync(socket);
  }
}
