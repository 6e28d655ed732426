// Seccomp: docker's profile format (src/security/seccomp-profile.ts), the
// default profile (src/security/default-seccomp.ts), and real filters loaded
// through libseccomp (src/syscalls/libseccomp.ts) in child processes — a
// filter can never be removed, so the test process itself never loads one.
// Works as root and as an ordinary user.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSeccompProfile, planSeccomp, readSeccompProfile } from '../../dist/security/seccomp-profile.js';
import { defaultSeccompProfile } from '../../dist/security/default-seccomp.js';

const scratch = mkdtempSync(join(tmpdir(), 'cellblock-seccomp-unit-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** docker run's capabilities when no --cap-add/--cap-drop is given. */
const DOCKER_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

const planFor = (capabilities, options = {}) => planSeccomp(defaultSeccompProfile, { capabilities, arch: 'x64', kernel: '6.1.0-18-amd64', ...options });
const rulesOf = (plan, syscall) => plan.rules.filter((rule) => rule.syscall === syscall);

// ---------------------------------------------------------------------------
// The parser

/** Write PROFILE (an object, or text as is) to a file of its own and read it back. */
let files = 0;
function readProfile(profile) {
  const path = join(scratch, `profile-${files++}.json`);
  writeFileSync(path, typeof profile === 'string' ? profile : JSON.stringify(profile));
  return { path, read: () => readSeccompProfile(path) };
}

const ALLOW_ALL = { defaultAction: 'SCMP_ACT_ALLOW' };
const withRule = (rule) => ({ ...ALLOW_ALL, syscalls: [rule] });
const BAD_PROFILES = [
  ['{ "defaultAction": ', /not valid JSON/],
  [[1, 2], /the profile must be a JSON object/],
  [{ syscalls: [] }, /defaultAction is missing/],
  [{ defaultAction: 'SCMP_ACT_MAYBE' }, /defaultAction: unknown action "SCMP_ACT_MAYBE"/],
  [withRule({ names: ['read'], action: 'SCMP_ACT_NOTIFY' }), /syscalls\[0\]\.action: SCMP_ACT_NOTIFY is not supported/],
  [{ ...ALLOW_ALL, listenerPath: '/run/agent.sock' }, /listenerPath: seccomp notifications are not supported/],
  [withRule({ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_SIMILAR' }] }), /syscalls\[0\]\.args\[0\]\.op: unknown op "SCMP_CMP_SIMILAR"/],
  [withRule({ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }), /syscalls\[0\]\.args\[0\]\.index must be 0–5, not 6/],
  [withRule({ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1 }] }), /syscalls\[0\]\.args\[0\]\.op is missing/],
  [withRule({ action: 'SCMP_ACT_ERRNO' }), /syscalls\[0\] names no syscall/],
  [withRule({ names: [], action: 'SCMP_ACT_ERRNO' }), /syscalls\[0\] names no syscall/],
  [withRule({ name: 'read', names: ['write'], action: 'SCMP_ACT_ERRNO' }), /syscalls\[0\]: use either 'name' or 'names'/],
  [withRule({ names: ['read'] }), /syscalls\[0\]\.action is missing/],
  [withRule({ names: ['read'], action: 'SCMP_ACT_ALLOW', errnoRet: 1 }), /errnoRet only goes with SCMP_ACT_ERRNO or SCMP_ACT_TRACE/],
  [withRule({ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: 70000 }), /syscalls\[0\]\.errnoRet must be at most 65535/],
  [withRule({ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 2 ** 64 - 1, op: 'SCMP_CMP_EQ' }] }), /args\[0\]\.value must be at most/],
  [withRule({ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] }), /args\[0\]\.value must be a non-negative integer/],
  [withRule({ names: ['read'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: 'new' } }), /includes\.minKernel must look like "4\.8"/],
  [{ ...ALLOW_ALL, syscalls: {} }, /syscalls must be a list/],
  [{ ...ALLOW_ALL, syscalls: ['read'] }, /syscalls\[0\] must be a JSON object/],
  [{ ...ALLOW_ALL, architectures: ['SCMP_ARCH_Z80'] }, /architectures\[0\]: unknown architecture "SCMP_ARCH_Z80"/],
  [{ ...ALLOW_ALL, architectures: ['SCMP_ARCH_X86_64'], archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: [] }] }, /either 'architectures' or 'archMap'/],
  [{ ...ALLOW_ALL, flags: ['SECCOMP_FILTER_FLAG_NEW_LISTENER'] }, /flags\[0\]: SECCOMP_FILTER_FLAG_NEW_LISTENER is not supported/],
];

test('a bad profile is one line naming the file and the problem', () => {
  for (const [profile, problem] of BAD_PROFILES) {
    const { path, read } = readProfile(profile);
    assert.throws(read, (error) => {
      assert.match(error.message, problem);
      assert.ok(error.message.startsWith(`seccomp profile ${path}: `), error.message);
      assert.ok(!error.message.includes('\n'), error.message);
      return true;
    });
  }
  assert.throws(() => readSeccompProfile(join(scratch, 'nowhere.json')), /^Error: seccomp profile .*nowhere\.json: cannot read it \(ENOENT\)$/);
});

test('a good profile: the old "name" form becomes names, missing values become 0', () => {
  const profile = parseSeccompProfile(JSON.stringify({
    defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, architectures: ['SCMP_ARCH_X86_64'], flags: ['SECCOMP_FILTER_FLAG_LOG'],
    syscalls: [{ name: 'read', action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 3, op: 'SCMP_CMP_LE' }], comment: 'stdin to 3' }],
  }), 'inline');
  assert.deepEqual(profile, {
    defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, architectures: ['SCMP_ARCH_X86_64'], flags: ['SECCOMP_FILTER_FLAG_LOG'],
    syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 3, valueTwo: 0, op: 'SCMP_CMP_LE' }], comment: 'stdin to 3' }],
  });
});

// ---------------------------------------------------------------------------
// planSeccomp and the default profile

test("the default profile with docker's capabilities: no keyrings, no new namespaces", () => {
  const plan = planFor(DOCKER_CAPS);
  assert.equal(plan.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(plan.defaultErrno, 1);
  assert.deepEqual(plan.architectures, ['x86_64', 'x86', 'x32']);
  for (const refused of ['keyctl', 'add_key', 'request_key', 'unshare', 'setns', 'mount', 'reboot', 'init_module', 'userfaultfd']) {
    assert.deepEqual(rulesOf(plan, refused), [], refused);
  }
  assert.deepEqual(rulesOf(plan, 'read'), [{ syscall: 'read', action: 'SCMP_ACT_ALLOW', conditions: [] }]);
  // clone only without namespace flags: (flags & 0x7e020000) == 0
  assert.deepEqual(rulesOf(plan, 'clone'), [{
    syscall: 'clone', action: 'SCMP_ACT_ALLOW',
    conditions: [{ index: 0, op: 'SCMP_CMP_MASKED_EQ', value: 0x7e020000n, valueTwo: 0n }],
  }]);
  assert.deepEqual(rulesOf(plan, 'clone3'), [{ syscall: 'clone3', action: 'SCMP_ACT_ERRNO', errno: 38, conditions: [] }]);
  assert.deepEqual(rulesOf(plan, 'socket'), [{
    syscall: 'socket', action: 'SCMP_ACT_ALLOW', conditions: [{ index: 0, op: 'SCMP_CMP_NE', value: 40n, valueTwo: 0n }],
  }]);
  // Five tests of argument 0: five rules, any of which allows the call.
  const personality = rulesOf(plan, 'personality');
  assert.equal(personality.length, 5);
  assert.deepEqual(personality.map((rule) => rule.conditions.map((c) => [c.index, c.op, c.value])),
    [0n, 8n, 0x20000n, 0x20008n, 0xffffffffn].map((value) => [[0, 'SCMP_CMP_EQ', value]]));
  // Granted capabilities and the architecture select their groups.
  assert.equal(rulesOf(plan, 'chroot').length, 1, 'CAP_SYS_CHROOT is a default capability');
  assert.equal(rulesOf(plan, 'arch_prctl').length, 1);
  assert.equal(rulesOf(plan, 'modify_ldt').length, 1);
  assert.deepEqual(rulesOf(plan, 'set_tls'), []);
  assert.deepEqual(rulesOf(plan, 'open_by_handle_at'), []);
});

test('with CAP_SYS_ADMIN: unshare, mount and any clone are allowed, and clone3 is no longer ENOSYS', () => {
  const plan = planFor([...DOCKER_CAPS, 'CAP_SYS_ADMIN']);
  for (const name of ['unshare', 'mount', 'setns', 'clone', 'clone3']) {
    assert.deepEqual(rulesOf(plan, name), [{ syscall: name, action: 'SCMP_ACT_ALLOW', conditions: [] }], name);
  }
  assert.ok(!plan.rules.some((rule) => rule.action === 'SCMP_ACT_ERRNO'));
});

test('architectures and kernels select rules: arm64 gets arm calls, ptrace needs Linux 4.8', () => {
  const arm = planFor(DOCKER_CAPS, { arch: 'arm64' });
  assert.deepEqual(arm.architectures, ['aarch64', 'arm']);
  assert.equal(rulesOf(arm, 'set_tls').length, 1);
  assert.deepEqual(rulesOf(arm, 'arch_prctl'), []);
  assert.equal(rulesOf(planFor(DOCKER_CAPS), 'ptrace').length, 1);
  assert.deepEqual(rulesOf(planFor(DOCKER_CAPS, { kernel: '4.4.0-210-generic' }), 'ptrace'), []);
});

test("arguments: different indexes make one rule (AND), a repeated index one rule each (OR); the default action makes none", () => {
  const profile = parseSeccompProfile(JSON.stringify({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      { names: ['kill'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_GT' }, { index: 1, value: 9, op: 'SCMP_CMP_NE' }] },
      { names: ['dup2'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 1, op: 'SCMP_CMP_EQ' }, { index: 1, value: 2, op: 'SCMP_CMP_EQ' }] },
      { names: ['write'], action: 'SCMP_ACT_ERRNO' },
      { names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
    ],
  }), 'inline');
  const plan = planSeccomp(profile, { capabilities: [], arch: 'x64' });
  assert.deepEqual(plan.architectures, []);
  assert.deepEqual(plan.rules.map((rule) => [rule.syscall, rule.conditions.length]), [['kill', 2], ['dup2', 1], ['dup2', 1], ['read', 0]]);
  assert.equal(rulesOf(plan, 'read')[0].errno, 13);
});

// ---------------------------------------------------------------------------
// Real filters, in child processes

const SYSCALL_NUMBERS = {
  x64: { add_key: 248, keyctl: 250, unshare: 272, getcwd: 79 },
  arm64: { add_key: 217, keyctl: 219, unshare: 97, getcwd: 17 },
};
const realFilters = { skip: SYSCALL_NUMBERS[process.arch] ? false : `no syscall numbers for ${process.arch}` };
const dist = (path) => new URL(`../../dist/${path}`, import.meta.url).href;

// The child: loads the filter it is given (or none), then makes the calls
// through syscall(2) and prints what each returned.
const CHILD = join(scratch, 'child.mjs');
writeFileSync(CHILD, `
import { readFileSync } from 'node:fs';
import { errnoName, lastErrno, libc } from ${JSON.stringify(dist('syscalls/libc.js'))};
import { defaultSeccompProfile } from ${JSON.stringify(dist('security/default-seccomp.js'))};
import { planSeccomp, readSeccompProfile } from ${JSON.stringify(dist('security/seccomp-profile.js'))};

const { profile, noNewPrivileges, numbers } = JSON.parse(process.argv[2]);
const status = () => Object.fromEntries(readFileSync('/proc/self/status', 'utf8').split('\\n')
  .filter((line) => /^(NoNewPrivs|Seccomp):/.test(line)).map((line) => line.split(/:\\s+/)));
const result = (value) => (Number(value) === -1 ? errnoName(lastErrno()) : 'ok');
const CLONE_NEWUSER = 0x10000000;
const KEYCTL_GET_KEYRING_ID = 0, KEY_SPEC_SESSION_KEYRING = -3;

const report = { loaded: 'none' };
if (profile) {
  const { installSeccompFilter } = await import(${JSON.stringify(dist('syscalls/libseccomp.js'))});
  const capabilities = ${JSON.stringify(DOCKER_CAPS)};
  const plan = planSeccomp(profile === 'default' ? defaultSeccompProfile : readSeccompProfile(profile), { capabilities });
  try {
    installSeccompFilter(plan, { noNewPrivileges });
    report.loaded = 'ok';
  } catch (error) {
    report.loaded = error.message;
  }
}
report.status = status();
report.keyctl = result(libc.syscall(numbers.keyctl, 'int', KEYCTL_GET_KEYRING_ID, 'int', KEY_SPEC_SESSION_KEYRING, 'int', 0));
report.add_key = result(libc.syscall(numbers.add_key, 'void *', null, 'void *', null, 'void *', null, 'size_t', 0, 'int', 0));
report.unshare = result(libc.syscall(numbers.unshare, 'int', CLONE_NEWUSER));
report.getcwd = result(libc.syscall(numbers.getcwd, 'void *', Buffer.alloc(4096), 'size_t', 4096));
console.log(JSON.stringify(report));
`);

/** Run the child (under PREFIX, e.g. unshare) and return its report. */
function child(options, prefix = []) {
  const request = JSON.stringify({ noNewPrivileges: false, ...options, numbers: SYSCALL_NUMBERS[process.arch] });
  const [command, ...args] = [...prefix, process.execPath, CHILD, request];
  return JSON.parse(execFileSync(command, args, { encoding: 'utf8' }));
}

test('the default filter, loaded with no_new_privs: keyctl, add_key and unshare(CLONE_NEWUSER) get EPERM', realFilters, () => {
  const report = child({ profile: 'default', noNewPrivileges: true });
  assert.equal(report.loaded, 'ok');
  assert.deepEqual(report.status, { NoNewPrivs: '1', Seccomp: '2' });
  assert.equal(report.keyctl, 'EPERM');
  assert.equal(report.add_key, 'EPERM');
  assert.equal(report.unshare, 'EPERM');
  assert.equal(report.getcwd, 'ok', 'ordinary calls still work, the child printed its report');
});

test('without a filter, the same calls reach the kernel: its own answers, not EPERM', realFilters, () => {
  const report = child({});
  assert.deepEqual(report.status, { NoNewPrivs: '0', Seccomp: '0' });
  // unshare(CLONE_NEWUSER) is EINVAL in Node: a multithreaded process may
  // not change its user namespace. add_key with no type: EFAULT.
  for (const call of ['keyctl', 'add_key', 'unshare']) assert.notEqual(report[call], 'EPERM', call);
});

test('a user profile: getcwd fails with the errno it gives (EACCES), everything else is allowed', realFilters, () => {
  const { path } = readProfile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getcwd'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] });
  const report = child({ profile: path, noNewPrivileges: true });
  assert.equal(report.loaded, 'ok');
  assert.equal(report.getcwd, 'EACCES');
  assert.notEqual(report.keyctl, 'EPERM');
});

const isRoot = process.getuid() === 0;

test('without no_new_privs, an ordinary user may not load a filter: seccomp_load EACCES', { skip: isRoot ? 'root has CAP_SYS_ADMIN' : realFilters.skip }, () => {
  assert.match(child({ profile: 'default' }).loaded, /^seccomp_load\(.*\): EACCES$/);
});

test('root loads a filter without no_new_privs, and leaves the bit off (as runc does)', { skip: isRoot ? realFilters.skip : 'not root' }, () => {
  const report = child({ profile: 'default' });
  assert.equal(report.loaded, 'ok');
  assert.deepEqual(report.status, { NoNewPrivs: '0', Seccomp: '2' });
  assert.equal(report.keyctl, 'EPERM');
});

// CAP_SYS_ADMIN in the caller's user namespace is enough, which is the
// container init's case: root of a user namespace of its own.
const userNamespaces = spawnSync('unshare', ['--user', '--map-root-user', 'true']).status === 0;
test('root of a new user namespace loads a filter without no_new_privs', { skip: userNamespaces ? realFilters.skip : 'no user namespaces here' }, () => {
  const report = child({ profile: 'default' }, ['unshare', '--user', '--map-root-user']);
  assert.equal(report.loaded, 'ok');
  assert.deepEqual(report.status, { NoNewPrivs: '0', Seccomp: '2' });
  assert.equal(report.unshare, 'EPERM');
});

test('exportBpf writes the compiled program: whole 8-byte instructions', realFilters, async () => {
  const { exportBpf } = await import('../../dist/syscalls/libseccomp.js');
  const path = join(scratch, 'default.bpf');
  const fd = openSync(path, 'w');
  try {
    assert.deepEqual(exportBpf(planFor(DOCKER_CAPS, { arch: process.arch }), fd), []);
    const { size } = fstatSync(fd);
    assert.ok(size > 0 && size % 8 === 0, `${size} bytes`);
  } finally {
    closeSync(fd);
  }
});
