// run --explain (chapter 12): every step of a start, in order, with its
// chapter and the system calls it made — on the CLI's stderr only, never in
// the container's output or its log. As an unprivileged user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExplain } from '../../scripts/lib/explain.mjs';
import { pipeline } from '../../dist/init/pipeline.js';
import { containerFixture } from './fixture.mjs';

const c = containerFixture();

/** The calls told under step NAME (which must be there, and run). */
function callsOf(steps, name) {
  const step = steps.find((s) => s.name === name);
  assert.ok(step, `step ${name} is told`);
  assert.equal(step.skipped, false, `${name} ran`);
  return step.calls.join('\n');
}

test('run --explain tells every step in order: the supervisor\'s, then each of the pipeline\'s with its chapter and calls', async () => {
  const result = await c.run(['--explain'], ['true']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, '');
  const steps = parseExplain(result.stderr);

  // Outside first: the three-step spawn's steps 1 and 2, then the init's pipeline, inside.
  assert.deepEqual(steps.filter((s) => s.part !== 3).map((s) => `${s.part} ${s.name}`),
    ['1 spawn-init', '2 map-ids', '2 join-cgroup', '2 connect-network']);
  assert.match(callsOf(steps, 'spawn-init'), /^\$ setpriv --pdeathsig KILL -- unshare --user .* -- \S+\/node \S+\/dist\/init\/main\.js$/m);
  assert.match(callsOf(steps, 'map-ids'), /^\/proc\/\d+\/uid_map: 0 \d+ 1/m);

  // Every step of src/init/pipeline.ts, in its order, each with its own chapter.
  const inside = steps.filter((s) => s.part === 3);
  assert.deepEqual(inside.map((s) => [s.name, s.chapter]), pipeline.map((s) => [s.name, s.chapter]));
  // A --rootfs run: the directory is bound, no overlay; no --read-only, no -t.
  const skipped = inside.filter((s) => s.skipped).map((s) => s.name);
  for (const name of ['mount-overlay', 'read-only-root', 'open-console', 'mount-init']) assert.ok(skipped.includes(name), `${name} is told as skipped`);
  for (const name of ['bind-rootfs', 'mount-proc', 'pivot-root', 'set-hostname', 'switch-user', 'exec-payload']) assert.ok(!skipped.includes(name), `${name} ran`);

  // The calls of the key steps, with their arguments by name and their results.
  assert.match(callsOf(steps, 'make-mounts-private'), /^mount\(NULL, "\/", NULL, MS_REC\|MS_PRIVATE, NULL\) = 0$/m);
  assert.match(callsOf(steps, 'mount-proc'), /^mount\("proc", "\S+\/proc", "proc", MS_NOSUID\|MS_NODEV\|MS_NOEXEC, NULL\) = 0$/m);
  assert.match(callsOf(steps, 'pivot-root'), /^pivot_root\("\.", "\."\) = 0\numount2\("\.", MNT_DETACH\) = 0$/m);
  assert.match(callsOf(steps, 'set-hostname'), /^sethostname\("[0-9a-f]{12}", 12\) = 0$/m);
  assert.match(callsOf(steps, 'limit-capabilities'), /^prctl\(PR_CAPBSET_DROP, \{CAP_DAC_READ_SEARCH, .*CAP_SYS_ADMIN.*\}\) = 0 {3}\(\d+ calls\)$/m);
  assert.match(callsOf(steps, 'load-seccomp'), /^seccomp_load\(ctx\) = 0$/m);
  const exec = callsOf(steps, 'exec-payload');
  assert.match(exec, /^close_range\(3, ~0U, CLOSE_RANGE_CLOEXEC\) = 0$/m);
  assert.match(exec, /^signal\(SIGPIPE, SIG_DFL\) = SIG_IGN$/m, 'Node ignored SIGPIPE: the payload gets it back');
  // execve is told last, before the call: it does not return when it works.
  assert.match(steps.at(-1).calls.at(-2), /^execve\("\/bin\/true", \["true"\], \["PATH=.*", "HOSTNAME=[0-9a-f]{12}", "HOME=\/root"\]\)$/);
});

test('the payload\'s output is untouched, and without --explain nothing is told', async () => {
  const explained = await c.run(['--explain', '--network', 'none'], ['echo', 'hi']);
  assert.equal(explained.code, 0, explained.stderr);
  assert.equal(explained.stdout, 'hi\n');
  assert.match(explained.stderr, /^\[ch01 process\] exec-payload — /m);
  const plain = await c.run(['--network', 'none'], ['sh', '-c', 'echo hi; echo oops >&2']);
  assert.equal(plain.stdout, 'hi\n');
  assert.equal(plain.stderr, 'oops\n');
});

test('a failing call is told with its errno, and the telling stops there', async () => {
  // With a single-id map only root exists inside; alice's gid 1000 comes from the container's /etc/passwd, so only the kernel can refuse it.
  const result = await c.run(['--explain', '--network', 'none', '--userns=single', '-u', 'alice'], ['true']);
  assert.equal(result.code, 125);
  const steps = parseExplain(result.stderr);
  assert.equal(steps.at(-1).name, 'switch-user');
  assert.equal(steps.at(-1).calls.at(-1), 'setresgid(1000, 1000, 1000) = -1 EINVAL');
  assert.match(result.stderr.trimEnd().split('\n').at(-1), /^cellblock: setresgid\(1000\): EINVAL: group 1000 is not mapped/);
});

test('run -d --explain tells it all before the id; the log has only the container\'s output', async (t) => {
  const name = 'explained';
  t.after(() => c.runner.cellblock(['rm', '-f', name]));
  const started = await c.runner.cellblock(['run', '-d', '--explain', '--name', name, '--network', 'none', '--rootfs', c.rootfs, 'sh', '-c', 'echo out; echo err >&2']);
  assert.equal(started.code, 0, started.stderr);
  assert.match(started.stdout, /^[0-9a-f]{64}\n$/);
  assert.match(started.stderr, /^ {2}execve\("\/bin\/sh", \["sh", "-c", "echo out; echo err >&2"\], /m);
  assert.equal((await c.runner.cellblock(['wait', name])).stdout, '0\n');
  const logs = await c.runner.cellblock(['logs', name]);
  assert.equal(logs.stdout, 'out\n');
  assert.equal(logs.stderr, 'err\n');
});
