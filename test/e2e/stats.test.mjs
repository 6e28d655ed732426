// `cellblock stats` as an unprivileged user on real containers: a busy one,
// an idle one with three tasks, an exited one — plain tables, --format,
// streaming into a pipe, and the live view in a real terminal (tmux).
// On this kind of host the figures come from /proc (no delegated cgroups);
// the VM suite runs the cgroup side.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { waitForLine } from '../../scripts/lib/as-user.mjs';
import { bytesSize } from '../../dist/cli/format.js';
import { assertOneLineError, containerFixture, leftoverProcesses } from './fixture.mjs';
import { tmuxTerminal, withoutTmux } from '../helpers/tmux.mjs';

const NAMES = ['busy', 'idle', 'done', 'late'];
// Hooks run in the order they are made: this one first, so the containers
// are gone before the fixture takes the runner (and the build it runs) away.
after(async () => {
  close();
  if (!c.runner) return;
  await cellblock('rm', '-f', ...NAMES); // ('late' is gone already: that one name fails)
  assert.deepEqual(leftoverProcesses(c.runner), [], 'nothing of ours still runs');
});
const c = containerFixture();
const cellblock = (...args) => c.runner.cellblock(args);
const { tmux, asUser, cellblockLine, until, close } = tmuxTerminal(c, 'stats');

/** `run -d --name NAME` of SCRIPT, returning once SCRIPT has logged "ready". */
async function detachedUntilReady(name, script) {
  const r = await cellblock('run', '-d', '--name', name, '--rootfs', c.rootfs, 'sh', '-c', script);
  assert.equal(r.code, 0, r.stderr);
  const follow = c.runner.spawnCellblock(['logs', '-f', name]);
  try {
    await waitForLine(follow.stdout, /^ready$/);
  } finally {
    follow.kill();
  }
}

before(async () => {
  await detachedUntilReady('busy', 'echo ready; while :; do :; done');
  // sh, waiting for its two sleeps: three tasks.
  await detachedUntilReady('idle', 'sleep 1000 & sleep 1000 & echo ready; wait');
  assert.equal((await cellblock('run', '--name', 'done', '--rootfs', c.rootfs, 'true')).code, 0);
});

test('--no-stream: docker\'s table; a busy loop shows CPU well above 0, memory and pids', async () => {
  const started = Date.now();
  const r = await cellblock('stats', '--no-stream');
  assert.equal(r.code, 0, r.stderr);
  const [header, ...rows] = r.stdout.trimEnd().split('\n');
  assert.match(header, /^CONTAINER ID +NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS$/);
  assert.deepEqual(rows.map((line) => line.split(/ {3,}/)[1]).sort(), ['busy', 'idle'], 'running containers only');
  const busy = rows.find((line) => / busy /.test(line)).split(/ {3,}/);
  const [, , cpu, memory, memoryPercent, net, blockIO, pids] = busy;
  assert.match(busy[0], /^[0-9a-f]{12}$/);
  assert.ok(parseFloat(cpu) > 30, `a busy loop uses most of a core: ${cpu}`);
  const [used, limit] = memory.split(' / ');
  assert.match(used, /^[\d.]+(B|KiB|MiB)$/);
  assert.notEqual(parseFloat(used), 0);
  assert.equal(limit, bytesSize(totalmem()), 'no cgroup: the machine\'s memory is the limit');
  assert.match(memoryPercent, /^\d+\.\d\d%$/);
  assert.equal(net, '--', 'the host\'s network: nothing of its own to count');
  assert.match(blockIO, /^[\d.]+[kMG]?B \/ [\d.]+[kMG]?B$/);
  assert.ok(Number(pids) >= 1);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 1000 && elapsed < 5000, `two samples a second apart: ${elapsed} ms`);
});

test('--format: exactly the fields asked for, in the order named; an exited container shows zeros', async () => {
  const r = await cellblock('stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'busy', 'idle', 'done');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'busy 1\nidle 3\ndone 0\n');
  const done = await cellblock('stats', '--no-stream', '--format', '{{.Container}}|{{.CPUPerc}}|{{.MemUsage}}|{{.MemPerc}}|{{.BlockIO}}|{{.NetIO}}', 'done');
  assert.equal(done.stdout, 'done|0.00%|0B / 0B|0.00%|0B / 0B|--\n');
  const all = await cellblock('stats', '--no-stream', '-a', '--no-trunc', '--format', '{{.ID}} {{.Name}}');
  assert.deepEqual(all.stdout.trimEnd().split('\n').map((line) => line.split(' ')[1]).sort(), ['busy', 'done', 'idle']);
  assert.match(all.stdout, /^[0-9a-f]{64} /);
});

test('a name that does not exist, or a bad template: one line, 125, nothing printed', async () => {
  for (const r of [await cellblock('stats', '--no-stream', 'busy', 'nosuch'), await cellblock('stats', 'nosuch')]) {
    assertOneLineError(assert, r, /no such container: nosuch/);
    assert.equal(r.stdout, '');
  }
  assertOneLineError(assert, await cellblock('stats', '--no-stream', '--format', '{{.Nope}}'), /invalid --format "\{\{\.Nope\}\}"/);
});

test('into a pipe: a table every second until interrupted; a reader that leaves ends it', async () => {
  const stream = c.runner.spawnCellblock(['stats', '--format', 'table {{.Name}}\t{{.PIDs}}', 'idle']);
  const arrivals = [];
  let seen = '';
  const twoTables = new Promise((resolve) => stream.stdout.on('data', (chunk) => {
    seen += chunk;
    arrivals.push(Date.now());
    if (arrivals.length === 2) resolve();
  }));
  await Promise.race([twoTables, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  stream.kill('SIGTERM');
  const [code, signal] = await new Promise((resolve) => stream.on('close', (...end) => resolve(end)));
  assert.ok(code === null ? signal === 'SIGTERM' : code === 0, `ended by SIGTERM: ${code} ${signal}`);
  assert.match(seen, /^(NAME +PIDS\nidle +3\n){2}$/, 'two tables, each one write');
  assert.ok(arrivals[1] - arrivals[0] >= 800, `a second apart: ${arrivals[1] - arrivals[0]} ms`);

  const started = Date.now();
  const head = await c.runner.exec('sh', ['-c', `${cellblockLine('stats')} | head -n 1`]);
  assert.match(head.stdout, /^CONTAINER ID +NAME/);
  assert.equal(head.stderr, '', 'EPIPE is no error to report');
  assert.ok(Date.now() - started < 8000, 'stats ended once head had gone');
});

test('the live view: rows come and go with containers; q, ctrl-c and SIGTERM leave the terminal as it was', { skip: withoutTmux() }, async () => {
  const dir = c.runner.tempDir('cellblock-stats-tty-');
  const modes = (name) => join(dir, name);
  tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'main', '-x', '120', '-y', '20', asUser(
    `stty -g > ${modes('before')}; ${cellblockLine('stats')}; echo "stats exited $?"; stty -g > ${modes('after')}; `
    + `${cellblockLine('stats busy')}; echo "stats busy exited $?"; stty -g > ${modes('after-ctrl-c')}; `
    + `${cellblockLine('stats idle')}; echo "stats idle exited $?"; stty -g > ${modes('after-sigterm')}; sleep 600`));
  tmux('set-option', '-g', 'status', 'off');
  const pane = 'main';

  const shown = await until(pane, /^[0-9a-f]{12} +busy +\d+\.\d\d%/m);
  assert.match(shown, /^CONTAINER ID +NAME +CPU % +MEM USAGE \/ LIMIT/m);
  assert.match(shown, /^[0-9a-f]{12} +idle /m);
  assert.match(shown, /q or ctrl-c: quit/);

  await detachedUntilReady('late', 'echo ready; exec sleep 1000');
  await until(pane, /^[0-9a-f]{12} +late /m);
  assert.equal((await cellblock('rm', '-f', 'late')).code, 0);
  await until(pane, /^(?![\s\S]* late )[\s\S]*[0-9a-f]{12} +busy /, 5000);

  tmux('send-keys', '-t', pane, 'q');
  await until(pane, /^stats exited 0$/m);
  assert.equal(readFileSync(modes('after'), 'utf8'), readFileSync(modes('before'), 'utf8'), 'stty -g is as before');

  await until(pane, /q or ctrl-c: quit[\s\S]*q or ctrl-c: quit/); // the second view is up
  tmux('send-keys', '-t', pane, 'C-c');
  await until(pane, /^stats busy exited 0$/m);
  assert.equal(readFileSync(modes('after-ctrl-c'), 'utf8'), readFileSync(modes('before'), 'utf8'), 'and after ctrl-c');

  await until(pane, /(q or ctrl-c: quit[\s\S]*){3}/);
  const pid = execFileSync('pgrep', ['-f', `^${cellblockLine('stats idle')}$`], { encoding: 'utf8' }).trim();
  process.kill(Number(pid), 'SIGTERM');
  await until(pane, /^stats idle exited 143$/m);
  assert.equal(readFileSync(modes('after-sigterm'), 'utf8'), readFileSync(modes('before'), 'utf8'), 'and after SIGTERM');
});
