// The life of a container after `run`: detached containers and their
// supervisor, logs, ps, stop/kill/start/restart/wait/rm — as an unprivileged user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { waitForLine } from '../../scripts/lib/as-user.mjs';
import { pidfdOpen, waitForExit } from '../../scripts/lib/pidfd.mjs';
import { assertOneLineError, containerFixture, leftoverProcesses } from './fixture.mjs';

const c = containerFixture();
const cellblock = (...args) => c.runner.cellblock(args);
const TICKER = 'while true; do echo tick; sleep 0.2; done';

/** `run -d` (extra flags first) of the fixture rootfs; resolves with the container id. */
async function detached(flags, ...command) {
  const r = await cellblock('run', '-d', ...flags, '--rootfs', c.rootfs, ...command);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^[0-9a-f]{64}\n$/);
  return r.stdout.trim();
}

const recordOf = (id) => JSON.parse(readFileSync(join(c.runner.runtimeDir, 'cellblock', 'containers', `${id}.json`), 'utf8'));

/** Everything a container leaves on the host while it exists. */
function tracesOf(id) {
  return [
    join(c.runner.runtimeDir, 'cellblock', 'containers', `${id}.json`),
    join(c.runner.runtimeDir, 'cellblock', 'sockets', id.slice(0, 12)),
    join(c.runner.dataDir, 'cellblock', 'containers', id),
  ].filter((path) => existsSync(path));
}

/** Wait until the container's log has LINES lines of stdout (logs -f, so without polling). */
async function untilLogged(name, lines) {
  const follow = c.runner.spawnCellblock(['logs', '-f', name]);
  let seen = '';
  const timer = setTimeout(() => follow.kill(), 10_000);
  for await (const chunk of follow.stdout) {
    seen += chunk;
    if (seen.split('\n').length > lines) break;
  }
  clearTimeout(timer);
  follow.kill();
  assert.ok(seen.split('\n').length > lines, `${name} logged ${lines} lines within 10 s: ${JSON.stringify(seen)}`);
}

test('run -d returns at once with the id; logs shows the output; ps lists it running', async () => {
  const started = Date.now();
  const id = await detached(['--name', 'ticker'], 'sh', '-c', TICKER);
  assert.ok(Date.now() - started < 3000, `run -d took ${Date.now() - started} ms`);
  await untilLogged('ticker', 2);
  const logs = await cellblock('logs', 'ticker');
  assert.match(logs.stdout, /^(tick\n){2,}$/);
  const ps = await cellblock('ps');
  assert.match(ps.stdout, new RegExp(`^${id.slice(0, 12)} .* Up .* ticker$`, 'm'));
  assert.equal((await cellblock('ps', '-q')).stdout, `${id.slice(0, 12)}\n`);
  assert.equal((await cellblock('rm', '-f', 'ticker')).code, 0);
});

test('stop -t 2: SIGKILL after 2 s for a payload that ignores SIGTERM (137); at once for one that handles it', async () => {
  await detached(['--name', 'deaf'], 'sh', '-c', `echo ready; ${TICKER}`);
  await detached(['--name', 'polite'], 'sh', '-c', `trap "exit 0" TERM; echo ready; ${TICKER}`);
  await untilLogged('deaf', 1);
  await untilLogged('polite', 1);

  let started = Date.now();
  assert.equal((await cellblock('stop', '-t', '2', 'deaf')).stdout, 'deaf\n');
  const deafTook = Date.now() - started;
  assert.ok(deafTook >= 2000 && deafTook < 8000, `stop of the deaf one took ${deafTook} ms`);

  started = Date.now();
  assert.equal((await cellblock('stop', '-t', '10', 'polite')).code, 0);
  const politeTook = Date.now() - started;
  assert.ok(politeTook < 5000, `stop of the polite one took ${politeTook} ms (its timeout was 10 s)`);

  const ps = (await cellblock('ps', '-a')).stdout;
  assert.match(ps, /Exited \(137\) .* deaf$/m);
  assert.match(ps, /Exited \(0\) .* polite$/m);
  assert.equal((await cellblock('ps')).stdout.split('\n').length, 2, 'ps without -a shows neither');
  assert.equal((await cellblock('wait', 'deaf', 'polite')).stdout, '137\n0\n');
  assert.equal((await cellblock('rm', 'deaf', 'polite')).code, 0);
});

test('rm removes every trace: record, socket, storage and log, processes', async () => {
  const id = await detached(['--name', 'traced'], 'sh', '-c', TICKER);
  await untilLogged('traced', 1);
  const pid = recordOf(id).pid;
  const namespace = readlinkSync(`/proc/${pid}/ns/pid`);
  assert.equal(tracesOf(id).length, 3, 'record, attach socket and storage exist while it runs');
  assert.ok(existsSync(join(c.runner.dataDir, 'cellblock', 'containers', id, 'ctr.log')));
  const pidfd = pidfdOpen(pid);
  assert.equal((await cellblock('rm', '-f', 'traced')).code, 0);
  assert.ok(waitForExit(pidfd, 5000), 'pid 1 is gone');
  assert.deepEqual(tracesOf(id), []);
  assert.deepEqual(leftoverProcesses(c.runner, new Set([namespace])), []);
  assert.equal((await cellblock('ps', '-a', '-q')).stdout, '');
});

test('logs keeps stdout and stderr apart; --tail, -t, --since, --until', async () => {
  // (Only the order within a stream is kept: stdout and stderr are two pipes, read as data comes.)
  const r = await cellblock('run', '--name', 'talker', '--rootfs', c.rootfs, 'sh', '-c', 'echo one; echo two >&2; echo three; printf "no newline"');
  assert.equal(r.code, 0);
  const logs = await cellblock('logs', 'talker');
  assert.equal(logs.stdout, 'one\nthree\nno newline');
  assert.equal(logs.stderr, 'two\n');
  assert.equal((await cellblock('logs', '--tail', '1', 'talker')).stdout + (await cellblock('logs', '--tail', '1', 'talker')).stderr, 'no newline', 'the last line is the last of stdout');
  assert.equal((await cellblock('logs', '--tail', '4', 'talker')).stdout, 'one\nthree\nno newline');
  assert.equal((await cellblock('logs', '--tail', '0', 'talker')).stdout, '');
  assert.match((await cellblock('logs', '-t', 'talker')).stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z one\n/);
  assert.equal((await cellblock('logs', '--since', '1h', 'talker')).stdout, 'one\nthree\nno newline');
  assert.equal((await cellblock('logs', '--since', String(Math.ceil(Date.now() / 1000) + 60), 'talker')).stdout, '');
  assert.equal((await cellblock('logs', '--until', '2000-01-01', 'talker')).stdout, '');
  assert.equal((await cellblock('rm', 'talker')).code, 0);
});

test('logs -f follows until the container ends', async () => {
  await detached(['--name', 'brief'], 'sh', '-c', 'for i in 1 2 3; do echo line $i; sleep 0.3; done');
  const r = await cellblock('logs', '-f', 'brief');
  assert.equal(r.code, 0);
  assert.equal(r.stdout, 'line 1\nline 2\nline 3\n');
  assert.equal((await cellblock('wait', 'brief')).stdout, '0\n');
  assert.equal((await cellblock('rm', 'brief')).code, 0);
});

test('kill -9 of the foreground CLI: ps -a says exited, rm -f cleans up fully', async () => {
  const child = c.runner.spawnCellblock(['run', '--name', 'orphan', '--rootfs', c.rootfs, 'sh', '-c', `echo ready; ${TICKER}`]);
  try {
    child.stdin.end();
    await waitForLine(child.stdout, /^ready$/);
    const records = join(c.runner.runtimeDir, 'cellblock', 'containers');
    const { id, pid } = JSON.parse(readFileSync(join(records, readdirSync(records).find((f) => f.endsWith('.json'))), 'utf8'));
    const pidfd = pidfdOpen(pid);
    child.kill('SIGKILL');
    await once(child, 'exit');
    assert.ok(waitForExit(pidfd, 5000), 'the container ended with its foreground run');
    assert.equal((await cellblock('wait', 'orphan')).stdout, '137\n');
    assert.match((await cellblock('ps', '-a')).stdout, /Exited \(137\) .* orphan$/m);
    assert.equal((await cellblock('rm', '-f', 'orphan')).code, 0);
    assert.deepEqual(tracesOf(id), []);
    assert.deepEqual(leftoverProcesses(c.runner), []);
  } finally {
    child.kill('SIGKILL');
  }
});

test('kill -9 of the supervisor: its container goes too, ps -a says exited, rm -f cleans up fully', async () => {
  const id = await detached(['--name', 'unsupervised'], 'sh', '-c', TICKER);
  await untilLogged('unsupervised', 1);
  const { pid, supervisorPid } = recordOf(id);
  const pidfd = pidfdOpen(pid);
  process.kill(supervisorPid, 'SIGKILL');
  assert.ok(waitForExit(pidfd, 5000), 'pid 1 went with its supervisor (parent-death signal)');
  const ps = (await cellblock('ps', '-a')).stdout;
  assert.match(ps, /Exited .* unsupervised$/m);
  assert.doesNotMatch(ps, /Up .* unsupervised/);
  assert.equal((await cellblock('ps', '-q')).stdout, '');
  assert.equal((await cellblock('rm', '-f', 'unsupervised')).code, 0);
  assert.deepEqual(tracesOf(id), []);
  assert.deepEqual(leftoverProcesses(c.runner), []);
});

test('10 detached containers at once run, log and are removed without interference', async () => {
  const names = Array.from({ length: 10 }, (_, i) => `many${i}`);
  await Promise.all(names.map((name) => detached(['--name', name], 'sh', '-c', `while true; do echo ${name}; sleep 0.2; done`)));
  await Promise.all(names.map((name) => untilLogged(name, 2)));
  const running = (await cellblock('ps')).stdout;
  for (const name of names) {
    assert.match(running, new RegExp(`Up .* ${name}$`, 'm'));
    const logs = (await cellblock('logs', name)).stdout.trim().split('\n');
    assert.ok(logs.length >= 2 && logs.every((line) => line === name), `${name}'s log has only its own lines: ${logs.slice(0, 4)}`);
  }
  const rm = await cellblock('rm', '-f', ...names);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal((await cellblock('ps', '-a', '-q')).stdout, '');
  assert.deepEqual(leftoverProcesses(c.runner), []);
});

test('start reuses the writable layer; start -a relays and returns the status; restart; --rm -d removes itself', async () => {
  assert.equal((await cellblock('import', c.rootfs, 'localhost/lifecycle:latest')).code, 0);
  const first = await cellblock('run', '--name', 'again', 'localhost/lifecycle', 'sh', '-c', 'echo run >> /runs; cat /runs; exit 4');
  assert.deepEqual([first.code, first.stdout], [4, 'run\n']);
  const second = await cellblock('start', '-a', 'again');
  assert.deepEqual([second.code, second.stdout], [4, 'run\nrun\n']);
  assert.equal((await cellblock('start', 'again')).stdout, 'again\n');
  assert.equal((await cellblock('wait', 'again')).stdout, '4\n');
  assert.equal((await cellblock('restart', 'again')).code, 0);
  assert.equal((await cellblock('container', 'wait', 'again')).stdout, '4\n', 'docker\'s other spelling');
  assert.equal((await cellblock('logs', 'again')).stdout, 'run\nrun\nrun\nrun\nrun\nrun\nrun\nrun\nrun\nrun\n');
  assert.equal((await cellblock('rm', 'again')).code, 0);

  const id = await detached(['--rm'], 'sh', '-c', 'sleep 0.3');
  assert.equal((await cellblock('wait', id)).stdout, '0\n');
  assert.deepEqual(tracesOf(id), [], '--rm removed it when it ended');
});

test('attach relays output and stdin of a container started with -d -i', async () => {
  await detached(['-i', '--name', 'echoer'], 'sh', '-c', 'echo ready; while read line; do echo "got $line"; done; echo bye');
  const r = await c.runner.cellblock(['attach', 'echoer'], { input: 'a\nb\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'got a\ngot b\nbye\n');
  assert.equal((await cellblock('logs', 'echoer')).stdout, 'ready\ngot a\ngot b\nbye\n');
  assert.equal((await cellblock('rm', 'echoer')).code, 0);
});

test('every verb given a missing container, a bad flag or a bad value: one line, 125, nothing changed', async () => {
  await cellblock('run', '--name', 'stopped', '--rootfs', c.rootfs, 'true');
  const records = join(c.runner.runtimeDir, 'cellblock', 'containers');
  const snapshot = () => readdirSync(records).map((file) => readFileSync(join(records, file), 'utf8'));
  const before = snapshot();
  const cases = [
    [['logs', 'nosuch'], /no such container: nosuch/],
    [['stop', 'nosuch'], /no such container: nosuch/],
    [['kill', 'nosuch'], /no such container: nosuch/],
    [['start', 'nosuch'], /no such container: nosuch/],
    [['restart', 'nosuch'], /no such container: nosuch/],
    [['wait', 'nosuch'], /no such container: nosuch/],
    [['rm', 'nosuch'], /no such container: nosuch/],
    [['attach', 'nosuch'], /no such container: nosuch/],
    [['attach', 'stopped'], /cannot attach to container stopped: it is not running/],
    [['kill', 'stopped'], /cannot kill container stopped: it is not running/],
    [['stop', '-t', 'soon', 'stopped'], /give a whole number of seconds/],
    [['kill', '-s', 'SIGBOGUS', 'stopped'], /--signal: invalid signal "SIGBOGUS"/],
    [['stop', '--bogus', 'stopped'], /unknown option '--bogus'/],
    [['logs', '--tail', 'lots', 'stopped'], /--tail: "lots" is not a number/],
    [['logs', '--since', 'yesterday', 'stopped'], /--since: "yesterday" is not a time/],
    [['start', '-a', 'stopped', 'stopped'], /cannot attach to more than one container/],
  ];
  for (const [args, pattern] of cases) assertOneLineError(assert, await cellblock(...args), pattern);
  assert.deepEqual(snapshot(), before);
  assert.equal((await cellblock('rm', 'stopped')).code, 0);
});
