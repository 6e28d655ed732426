// run --explain's telling, without a container: how a call is written
// (src/syscalls/trace.ts), how runs of calls fold (src/init/explain.ts), how
// a step reads (src/supervisor/explain.ts), and that every step has its line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeCall, formatCall, flagNames } from '../../dist/syscalls/trace.js';
import { CallFolder } from '../../dist/init/explain.js';
import { formatNarration } from '../../dist/supervisor/explain.js';
import { pipeline } from '../../dist/init/pipeline.js';
import { CHAPTERS } from '../../dist/learn/chapters.js';
import { MS_BIND, MS_REC, O_CLOEXEC, O_NONBLOCK, SYS } from '../../dist/syscalls/constants.js';

const told = (name, args, result) => formatCall(describeCall(name, args, result === undefined ? undefined : { value: result, errno: 1 }));

test('a call reads as strace writes it: flags by name, strings quoted, NULL, errno by name', () => {
  assert.equal(told('mount', ['/src', '/dst', null, MS_BIND | MS_REC, null], 0), 'mount("/src", "/dst", NULL, MS_BIND|MS_REC, NULL) = 0');
  assert.equal(told('mount', ['proc', '/proc', 'proc', 0x2 | 0x4 | 0x8, null], -1), 'mount("proc", "/proc", "proc", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL) = -1 EPERM');
  assert.equal(told('umount2', ['.', 2], 0), 'umount2(".", MNT_DETACH) = 0');
  assert.equal(told('prctl', [24, 21, 0, 0, 0], 0), 'prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN) = 0');
  assert.equal(told('prctl', [1, 9, 0, 0, 0], 0), 'prctl(PR_SET_PDEATHSIG, SIGKILL) = 0');
  assert.equal(told('sethostname', ['box', 3], 0), 'sethostname("box", 3) = 0');
  assert.equal(told('setresuid', [1000, 1000, 1000], -1), 'setresuid(1000, 1000, 1000) = -1 EPERM');
  assert.equal(told('dup3', [4, 2, 0], 2), 'dup3(4, 2, 0) = 2');
  assert.equal(told('signal', [13, null], null), 'signal(SIGPIPE, SIG_DFL) = SIG_DFL');
  assert.equal(told('sigprocmask', [2, Buffer.alloc(128), null], 0), 'sigprocmask(SIG_SETMASK, [], NULL) = 0');
  assert.equal(told('seccomp_load', [{}], -13), 'seccomp_load(ctx) = -13 EACCES');
});

test('fcntl says which flags it read: the ones chapter 1 clears', () => {
  assert.equal(told('fcntl', [1, 1], 1), 'fcntl(1, F_GETFD) = 1 (FD_CLOEXEC)');
  assert.equal(told('fcntl', [1, 1], 0), 'fcntl(1, F_GETFD) = 0');
  assert.equal(told('fcntl', [1, 3], 1 | O_NONBLOCK | 0o100000), 'fcntl(1, F_GETFL) = 0104001 (O_WRONLY|O_NONBLOCK|O_LARGEFILE)');
  assert.equal(told('fcntl', [1, 4, 'int', 1], 0), 'fcntl(1, F_SETFL, O_WRONLY) = 0');
});

test('calls through syscall(2) are told by their own name, without the type words', () => {
  assert.equal(told('syscall', [SYS.pivot_root, 'const char *', '.', 'const char *', '.'], 0), 'pivot_root(".", ".") = 0');
  assert.equal(told('syscall', [SYS.close_range, 'unsigned int', 3, 'unsigned int', 0xffffffff, 'unsigned int', 4], 0), 'close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) = 0');
  const how = new BigUint64Array([BigInt(0o10000000 | O_CLOEXEC), 0n, 0x0cn]);
  assert.equal(told('syscall', [SYS.openat2, 'int', 7, 'const char *', 'etc', 'void *', how, 'size_t', 24], 8),
    'openat2(7, "etc", {flags=O_CLOEXEC|O_PATH, resolve=RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH}, 24) = 8');
});

test('execve is told before it runs (no result), without the NULLs that end its lists', () => {
  assert.equal(told('execve', ['/bin/true', ['true', null], ['PATH=/bin', null]]), 'execve("/bin/true", ["true"], ["PATH=/bin"])');
});

test('flag names leave the bits they do not know in hex', () => {
  assert.equal(flagNames(0x1 | 0x400, [['A', 0x1]]), 'A|0x400');
  assert.equal(flagNames(0, [['A', 0x1]]), '0');
});

test('three or more calls that differ in one argument fold into one line; two stay two', () => {
  const lines = [];
  const folder = new CallFolder((line, last) => lines.push(last ? `LAST ${line}` : line));
  const call = (name, args, result = '0') => folder.add({ name, args, result });
  for (const n of ['34', '35', '36', '37']) call('signal', [n, 'SIG_DFL'], 'SIG_DFL');
  call('signal', ['SIGPIPE', 'SIG_DFL'], 'SIG_IGN');
  call('openat2', ['3', '"etc"'], '-1 ENOENT');
  call('openat2', ['3', '"etc"'], '4');
  call('mount', ['"a"', '"/x"']);
  call('mount', ['"b"', '"/x"']);
  folder.add({ name: 'execve', args: ['"/bin/true"'] });
  assert.deepEqual(lines, [
    'signal({34…37}, SIG_DFL) = SIG_DFL   (4 calls)',
    'signal(SIGPIPE, SIG_DFL) = SIG_IGN',
    'openat2(3, "etc") = -1 ENOENT',
    'openat2(3, "etc") = 4',
    'mount("a", "/x") = 0',
    'mount("b", "/x") = 0',
    'LAST execve("/bin/true")',
  ]);
});

test('every step of the pipeline has a one-line summary and a chapter that exists', () => {
  for (const step of pipeline) {
    assert.ok(step.summary && !step.summary.includes('\n'), `${step.name} has a one-line summary`);
    assert.ok(CHAPTERS.some((c) => c.number === step.chapter), `${step.name}: chapter ${step.chapter} exists`);
  }
});

test('a step reads [chNN slug] name — summary; a skipped one says so; calls are indented', () => {
  assert.equal(formatNarration({ step: 'pivot-root', chapter: 3, summary: 'the root changes' }), '[ch03 mount-namespace] pivot-root — the root changes\n');
  assert.equal(formatNarration({ step: 'mount-init', chapter: 4, summary: 'with --init: …', skipped: true }), '[ch04 pid-namespace] mount-init — skipped (with --init: …)\n');
  assert.equal(formatNarration({ call: 'chdir("/") = 0' }), '  chdir("/") = 0\n');
  assert.match(formatNarration({ call: 'execve("/bin/true")', last: true }), /^ {2}execve\("\/bin\/true"\)\n {2}\(no result: when execve works it does not return/);
});
