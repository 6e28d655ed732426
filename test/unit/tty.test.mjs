// Unit tests of the terminal plumbing that needs no namespace: passing a
// descriptor over a socketpair, a pty on the host's /dev/ptmx, openat2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, fstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readlinkSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  O_RDONLY, getWindowSize, openInRoot, openPty, receiveFd, sendFd, setWindowSize, socketPair,
} from '../../dist/syscalls/index.js';

const O_CLOEXEC = 0o2000000;
/** The flags line of /proc/self/fdinfo/FD is octal. */
const isCloseOnExec = (fd) => (parseInt(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').match(/^flags:\s+(\d+)$/m)[1], 8) & O_CLOEXEC) !== 0;

test('socketPair + sendFd + receiveFd: the receiver gets the same open file under a new number, close-on-exec', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cellblock-unit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const [ours, theirs] = socketPair();
  assert.ok(isCloseOnExec(ours) && isCloseOnExec(theirs), 'both ends are close-on-exec');
  const file = openSync(join(dir, 'shared'), 'w+');
  sendFd(theirs, file);
  const received = await receiveFd(ours);
  assert.notEqual(received, file);
  assert.ok(isCloseOnExec(received), 'MSG_CMSG_CLOEXEC');
  assert.equal(readlinkSync(`/proc/self/fd/${received}`), join(dir, 'shared'));
  // The same open file, not a reopened path: the offset is shared.
  writeSync(file, 'abc');
  writeSync(received, 'def');
  assert.equal(readFileSync(join(dir, 'shared'), 'utf8'), 'abcdef');
  for (const fd of [file, received, ours, theirs]) closeSync(fd);
});

test('receiveFd does not block the event loop, and rejects when the other end closes without sending', async () => {
  const [ours, theirs] = socketPair();
  const pending = receiveFd(ours);
  let ticked = false;
  await new Promise((resolve) => setTimeout(() => { ticked = true; resolve(); }, 20));
  assert.ok(ticked, 'timers still run while recvmsg waits');
  closeSync(theirs);
  await assert.rejects(pending, /the other end closed without sending a file descriptor/);
  closeSync(ours);
});

test('receiveFd rejects a message that carries no descriptor, and names errno on a bad socket', async () => {
  const [ours, theirs] = socketPair();
  writeSync(theirs, 'x');
  await assert.rejects(receiveFd(ours), /a message came without a file descriptor/);
  closeSync(ours);
  closeSync(theirs);
  const file = openSync('/dev/null', 'r');
  await assert.rejects(receiveFd(file), /^SyscallError: recvmsg\(\d+\): ENOTSOCK$/);
  closeSync(file);
});

test('openPty on /dev/ptmx: a working pair, a window size round trip, and the size seen from the slave', () => {
  const { master, slave } = openPty('/dev/ptmx');
  try {
    assert.match(readlinkSync(`/proc/self/fd/${slave}`), /^\/dev\/pts\/\d+$/);
    assert.ok(isCloseOnExec(master) && isCloseOnExec(slave));
    setWindowSize(master, { rows: 33, cols: 101 });
    assert.deepEqual(getWindowSize(slave), { rows: 33, cols: 101 });
    // Raw bytes written to the slave come out of the master (with the terminal's \n → \r\n).
    writeSync(slave, 'hello\n');
    const buffer = Buffer.alloc(64);
    assert.equal(buffer.subarray(0, readSync(master, buffer)).toString(), 'hello\r\n');
  } finally {
    closeSync(master);
    closeSync(slave);
  }
  assert.throws(() => openPty('/nonexistent/ptmx'), /^SyscallError: open\(\/nonexistent\/ptmx\): ENOENT$/);
  const notATerminal = openSync('/dev/null', 'r');
  assert.throws(() => getWindowSize(notATerminal), /TIOCGWINSZ\): ENOTTY$/);
  closeSync(notATerminal);
});

test('openInRoot keeps absolute symlinks and ".." inside the root', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'cellblock-unit-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc/hostname'), 'inside\n');
  symlinkSync('/etc/hostname', join(root, 'link'));
  const read = (path) => {
    const fd = openInRoot(root, path, O_RDONLY);
    try {
      return readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  };
  assert.equal(read('/link'), 'inside\n', 'an absolute symlink resolves in the root, not on the host');
  assert.equal(read('../../../etc/hostname'), 'inside\n', '".." stops at the root');
  const fd = openInRoot(root, 'etc', O_RDONLY);
  assert.ok(fstatSync(fd).isDirectory());
  closeSync(fd);
  assert.throws(() => openInRoot(root, '/missing', O_RDONLY), /^SyscallError: openat2\(.*, \/missing\): ENOENT$/);
});
