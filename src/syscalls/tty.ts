// Pseudo-terminals (chapter 9).
//
// A pty is a pair of character devices joined by the kernel's terminal
// driver: whatever is written to the master is what the program on the
// slave reads from its "keyboard", and what it prints comes out of the
// master. The slave behaves like a real terminal: line editing, echo, ^C
// turned into SIGINT for its foreground process group, a window size.
// Each devpts mount (the container has its own: chapter 3) numbers its ptys
// from 0; opening its "ptmx" creates a new pair.
import { closeSync } from 'node:fs';
import { check, SyscallError } from './errors.js';
import { lastErrno, libc } from './libc.js';
import { O_CLOEXEC, O_NOCTTY, O_RDWR, OPOST, TCGETS, TCSETSW, TIOCGPTPEER, TIOCGWINSZ, TIOCSCTTY, TIOCSPTLCK, TIOCSWINSZ } from './constants.js';

export interface WindowSize { rows: number; cols: number }

export interface Pty {
  /** The side the relay reads and writes. */
  master: number;
  /** The side the program gets as its stdin, stdout and stderr. */
  slave: number;
}

/**
 * Open a new pty through PTMX (the ptmx node of a devpts mount), both sides
 * close-on-exec and O_NOCTTY (opening it must not make it OUR controlling
 * terminal). What posix_openpt + grantpt + unlockpt + open(ptsname) do,
 * minus the path lookup: TIOCGPTPEER opens the slave from the master, so
 * it is certainly the pty we just made, in the same devpts, whatever the
 * /dev/pts that our own root happens to show.
 */
export function openPty(ptmx: string): Pty {
  const flags = O_RDWR | O_NOCTTY | O_CLOEXEC;
  const master = libc.open(ptmx, flags);
  check(master, 'open', ptmx);
  try {
    // A new slave starts locked, so nobody opens it before its master is ready.
    const unlock = Buffer.alloc(4); // int 0
    check(libc.ioctl(master, TIOCSPTLCK, 'void *', unlock), 'ioctl', `${ptmx}, TIOCSPTLCK`);
    const slave = libc.ioctl(master, TIOCGPTPEER, 'int', flags);
    check(slave, 'ioctl', `${ptmx}, TIOCGPTPEER`);
    return { master, slave };
  } catch (error) {
    closeSync(master);
    throw error;
  }
}

/**
 * Shell: setsid — start a new session with no controlling terminal. Fails
 * (EPERM) for a process group leader, which already leads its own group.
 */
export function setsid(): number {
  const session = libc.setsid();
  if (session === -1) throw new SyscallError('setsid', '', lastErrno());
  return session;
}

/**
 * Make the terminal FD the controlling terminal of this session (we must
 * lead it and have none yet). From then on, ^C on it signals our foreground
 * process group, and its hang-up sends us SIGHUP. Shell: setsid --ctty.
 */
export function setControllingTerminal(fd: number): void {
  check(libc.ioctl(fd, TIOCSCTTY, 'int', 0), 'ioctl', `${fd}, TIOCSCTTY`);
}

// struct winsize { unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel; }

/**
 * Shell: stty rows ROWS cols COLS. On a pty either side may be given; when
 * the size changes, the kernel sends SIGWINCH to the slave's foreground
 * process group, which is how a full-screen program learns to redraw.
 */
export function setWindowSize(fd: number, size: WindowSize): void {
  const winsize = Buffer.alloc(8);
  winsize.writeUInt16LE(size.rows, 0);
  winsize.writeUInt16LE(size.cols, 2);
  check(libc.ioctl(fd, TIOCSWINSZ, 'void *', winsize), 'ioctl', `${fd}, TIOCSWINSZ`);
}

/** Shell: stty size */
export function getWindowSize(fd: number): WindowSize {
  const winsize = Buffer.alloc(8);
  check(libc.ioctl(fd, TIOCGWINSZ, 'void *', winsize), 'ioctl', `${fd}, TIOCGWINSZ`);
  return { rows: winsize.readUInt16LE(0), cols: winsize.readUInt16LE(2) };
}

/**
 * Shell: stty -opost — what is written to the terminal FD reaches the screen
 * byte for byte. A terminal normally turns "\n" into "\r\n" on the way out
 * (ONLCR), even in Node's raw mode. Relaying a container's terminal, that is
 * done twice: the container's own pty has done it already, and a full-screen
 * program that turned it off in there means a bare "\n" (cursor down).
 */
export function disableOutputProcessing(fd: number): void {
  // struct termios { tcflag_t c_iflag, c_oflag, c_cflag, c_lflag; cc_t c_line, c_cc[19]; } (36 bytes)
  const termios = Buffer.alloc(36);
  check(libc.ioctl(fd, TCGETS, 'void *', termios), 'ioctl', `${fd}, TCGETS`);
  termios.writeUInt32LE(termios.readUInt32LE(4) & ~OPOST, 4);
  check(libc.ioctl(fd, TCSETSW, 'void *', termios), 'ioctl', `${fd}, TCSETSW`);
}
