// The verbs that read or rename container records — ps, inspect, top,
// rename, container prune — checked as an unprivileged user on real
// containers: two exited ones, one made from an image, and one running.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitForLine } from '../../scripts/lib/as-user.mjs';
import { buildBusyboxRootfs } from '../../scripts/lib/rootfs.mjs';
import { newImage, repack, umoci } from '../helpers/images.mjs';
import { assertOneLineError, containerFixture } from './fixture.mjs';

const c = containerFixture();
const cellblock = (...args) => c.runner.cellblock(args);
const namesDir = () => join(c.runner.runtimeDir, 'cellblock', 'names');
const storageOf = (id) => join(c.runner.dataDir, 'cellblock', 'containers', id);
const lines = (text) => text.trimEnd().split('\n');
/** The one-line error contract, and nothing on stdout. */
const refused = (result, pattern) => {
  assertOneLineError(assert, result, pattern);
  assert.equal(result.stdout, '');
};

let live; // the running `cellblock run`
let livePid; // host pid of its pid 1
let image; // a loaded image with a label, an entrypoint and a cmd

before(async () => {
  const exited = await cellblock('run', '--name', 'verbs-exited', '--rootfs', c.rootfs, 'sh', '-c', 'exit 3');
  assert.equal(exited.code, 3, exited.stderr);

  // An image with a label, an Entrypoint and a Cmd: built with umoci, loaded as an OCI layout.
  const work = c.runner.tempDir('cellblock-verbs-image-');
  const layout = join(work, 'verbs', 'verbs'); // load names a tag-only image after a directory: localhost/verbs:labeled
  mkdirSync(join(work, 'verbs'));
  await umoci('init', '--layout', layout);
  const bundle = await newImage('labeled', { layout, bundle: join(work, 'bundle') });
  buildBusyboxRootfs(join(bundle, 'rootfs'));
  await repack('labeled', bundle, 'busybox', layout);
  await umoci('config', '--image', `${layout}:labeled`, '--config.label', 'com.example.tier=front',
    '--config.entrypoint', 'sh', '--config.entrypoint', '-c', '--config.cmd', 'echo hi > /made-here');
  c.runner.chownTree(work);
  const loaded = await cellblock('load', '-i', layout);
  assert.equal(loaded.code, 0, loaded.stderr);
  image = loaded.stdout.trim().split('Loaded image: ')[1];
  const fromImage = await cellblock('run', '--name', 'verbs-image', image);
  assert.equal(fromImage.code, 0, fromImage.stderr);

  // Made last, so -n 1 and -l show it. `& wait` keeps sh as pid 1 with sleep as its child.
  live = c.runner.spawnCellblock(['run', '--name', 'verbs-live', '--rootfs', c.rootfs, 'sh', '-c', 'sleep 1000 & echo ready; wait']);
  live.stdin.end();
  await waitForLine(live.stdout, /^ready$/);
  livePid = Number((await cellblock('inspect', '-f', '{{.State.Pid}}', 'verbs-live')).stdout);
});

after(async () => {
  if (!live) return;
  if (livePid) process.kill(livePid, 'SIGKILL'); // the container's pid 1: its namespace goes with it
  else live.kill('SIGKILL');
  if (live.exitCode === null) await once(live, 'exit');
});

test('ps: running by default, -a for all, -q, -n/-l, --no-trunc', async () => {
  const running = await cellblock('ps', '--format', '{{.Names}}');
  assert.deepEqual(lines(running.stdout), ['verbs-live']);
  const all = await cellblock('ps', '-a', '--format', '{{.Names}} {{.State}} {{.Status}}');
  assert.deepEqual(lines(all.stdout).map((l) => l.split(' ').slice(0, 2).join(' ')), ['verbs-live running', 'verbs-image exited', 'verbs-exited exited']);
  assert.match(lines(all.stdout)[2], /^verbs-exited exited Exited \(3\) \d+ seconds? ago$/);
  assert.match(lines(all.stdout)[0], /^verbs-live running Up \d+ seconds?$/);

  const quiet = await cellblock('ps', '-aq');
  assert.equal(lines(quiet.stdout).length, 3);
  for (const id of lines(quiet.stdout)) assert.match(id, /^[0-9a-f]{12}$/);
  assert.deepEqual(lines((await cellblock('ps', '-n', '2', '--format', '{{.Names}}')).stdout), ['verbs-live', 'verbs-image']);
  assert.deepEqual(lines((await cellblock('ps', '-l', '-q')).stdout), [lines(quiet.stdout)[0]]);
  const full = await cellblock('ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Command}}');
  assert.match(lines(full.stdout)[0], /^[0-9a-f]{64} "sh -c sleep 1000 & echo ready; wait"$/);
  assert.match((await cellblock('ps', '--format', '{{.Command}}')).stdout, /^"sh -c sleep 1000 & …"\n$/);
});

test('ps: the default table, and table templates aligned the same way', async () => {
  const table = await cellblock('ps', '-a');
  assert.match(lines(table.stdout)[0], /^CONTAINER ID\s{3}IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/);
  const custom = await cellblock('ps', '-a', '--format', 'table {{.Names}}\\t{{.State}}\\t{{.Label "com.example.tier"}}');
  assert.deepEqual(lines(custom.stdout), [
    'NAMES          STATE     tier',
    'verbs-live     running',
    'verbs-image    exited    front',
    'verbs-exited   exited',
  ]);
});

test('ps: --format json is one docker-keyed object per line; {{json .}} is the same', async () => {
  const json = await cellblock('ps', '-a', '--format', 'json');
  const rows = lines(json.stdout).map((line) => JSON.parse(line));
  assert.deepEqual(Object.keys(rows[0]), ['Command', 'CreatedAt', 'ID', 'Image', 'Labels', 'LocalVolumes', 'Mounts', 'Names', 'Ports', 'RunningFor', 'State', 'Status']);
  assert.deepEqual(rows.map((r) => [r.Names, r.State]), [['verbs-live', 'running'], ['verbs-image', 'exited'], ['verbs-exited', 'exited']]);
  assert.equal(rows[1].Image, image);
  assert.equal(rows[1].Labels, 'com.example.tier=front');
  assert.match(rows[2].CreatedAt, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \S+$/);
  const timeless = (text) => lines(text).map((line) => ({ ...JSON.parse(line), RunningFor: '', Status: '' }));
  assert.deepEqual(timeless((await cellblock('ps', '-a', '--format', '{{json .}}')).stdout), timeless(json.stdout));
});

test('ps: filters by status (no -a needed), name (a regular expression) and id prefix', async () => {
  const names = async (...filters) => lines((await cellblock('ps', ...filters.flatMap((f) => ['-f', f]), '--format', '{{.Names}}')).stdout);
  assert.deepEqual(await names('status=exited'), ['verbs-image', 'verbs-exited']);
  assert.deepEqual(await names('status=exited', 'status=running'), ['verbs-live', 'verbs-image', 'verbs-exited']);
  assert.deepEqual(await names('status=exited', 'name=^verbs-e'), ['verbs-exited']);
  assert.deepEqual(await names('name=^/verbs-live$'), ['verbs-live'], "docker's /name spelling");
  const id = (await cellblock('inspect', '-f', '{{.Id}}', 'verbs-image')).stdout.trim();
  assert.deepEqual(await names('status=exited', `id=${id.slice(0, 8)}`), ['verbs-image']);
});

test('ps: a bad template, an unknown field, a bad filter or -n: one line, 125', async () => {
  refused(await cellblock('ps', '--format', '{{.Nope}}'), /invalid --format "\{\{\.Nope\}\}": at \{\{\.Nope\}\}: no field "Nope" \(there are: .*Names/);
  refused(await cellblock('ps', '-f', 'name=^nothing$', '--format', '{{.Nope}}'), /no field "Nope"/); // no rows: still checked
  refused(await cellblock('ps', '--format', 'table {{.ID'), /invalid --format "table \{\{\.ID": unclosed action/);
  refused(await cellblock('ps', '--format', '{{.Label}}'), /\.Label takes 1 argument, got 0/);
  refused(await cellblock('ps', '-f', 'label=x'), /invalid filter "label": the filters here are status, name and id/);
  refused(await cellblock('ps', '-f', 'status=sleeping'), /invalid filter "status=sleeping"/);
  refused(await cellblock('ps', '-f', 'name=('), /not a regular expression/);
  refused(await cellblock('ps', '-f', 'noequals'), /bad format of filter "noequals"/);
  refused(await cellblock('ps', '-n', 'two'), /expected a whole number/);
});

test('inspect: docker-shaped JSON for a running and an exited container', async () => {
  const r = await cellblock('inspect', 'verbs-live', 'verbs-exited');
  assert.equal(r.code, 0, r.stderr);
  const [running, exited] = JSON.parse(r.stdout);
  assert.match(running.Id, /^[0-9a-f]{64}$/);
  assert.equal(running.Name, '/verbs-live');
  assert.deepEqual([running.Path, running.Args], ['sh', ['-c', 'sleep 1000 & echo ready; wait']]);
  assert.deepEqual({ ...running.State, StartedAt: undefined }, {
    Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
    Pid: livePid, ExitCode: 0, Error: '', StartedAt: undefined, FinishedAt: '0001-01-01T00:00:00Z',
  });
  // The Pid is the host's view of the container's pid 1.
  assert.match(readFileSync(`/proc/${livePid}/status`, 'utf8'), /^NSpid:\s+\d+\s+1$/m);
  for (const time of [running.Created, running.State.StartedAt, exited.State.FinishedAt]) assert.match(time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  assert.deepEqual([exited.State.Status, exited.State.Running, exited.State.Pid, exited.State.ExitCode], ['exited', false, 0, 3]);
  assert.deepEqual([running.Driver, running.GraphDriver, running.Image, running.Mounts], ['bind', { Name: 'bind', Data: null }, '', []]);
  assert.deepEqual(running.Config.Cmd, ['sh', '-c', 'sleep 1000 & echo ready; wait']);
  assert.equal(running.Config.Entrypoint, null);
  assert.equal(running.Config.Image, c.rootfs);
  const { AutoRemove, ReadonlyRootfs, Init, Memory, NanoCpus, PidsLimit, Cgroupns } = running.HostConfig;
  assert.deepEqual({ AutoRemove, ReadonlyRootfs, Init, Memory, NanoCpus, PidsLimit }, { AutoRemove: false, ReadonlyRootfs: false, Init: false, Memory: 0, NanoCpus: 0, PidsLimit: null });
  assert.ok(['host', 'private'].includes(Cgroupns));
  assert.equal(running.RestartCount, 0);
});

test('inspect: a container from an image has its image id, labels, entrypoint, cmd and overlay dirs', async () => {
  const [container] = JSON.parse((await cellblock('inspect', 'verbs-image')).stdout);
  const [imageJson] = JSON.parse((await cellblock('image', 'inspect', image)).stdout);
  assert.equal(container.Image, imageJson.Id);
  assert.equal(container.Config.Image, image);
  assert.deepEqual(container.Config.Labels, { 'com.example.tier': 'front' });
  assert.deepEqual([container.Config.Entrypoint, container.Config.Cmd], [['sh', '-c'], ['echo hi > /made-here']]);
  assert.deepEqual([container.Path, container.Args], ['sh', ['-c', 'echo hi > /made-here']]);
  assert.ok(['overlay', 'fuse-overlayfs'].includes(container.Driver), container.Driver);
  const { LowerDir, UpperDir, WorkDir, MergedDir } = container.GraphDriver.Data;
  assert.equal(readFileSync(join(UpperDir, 'made-here'), 'utf8'), 'hi\n', "the container's change is in its upper dir");
  for (const dir of [...LowerDir.split(':'), WorkDir, MergedDir]) assert.ok(existsSync(dir), dir);
});

test('inspect -f: templates, json, and the same engine as ps', async () => {
  const r = await cellblock('inspect', '-f', '{{.Name}} {{.State.Status}} {{.State.ExitCode}} {{json .Config.Cmd}} {{index .Config.Labels "com.example.tier"}}', 'verbs-exited', 'verbs-image');
  assert.deepEqual(lines(r.stdout), ['/verbs-exited exited 3 ["sh","-c","exit 3"] ', '/verbs-image exited 0 ["echo hi > /made-here"] front']);
  const json = await cellblock('inspect', '-f', 'json', 'verbs-exited');
  assert.equal(lines(json.stdout).length, 1);
  assert.equal(JSON.parse(json.stdout)[0].Name, '/verbs-exited');
  assert.equal((await cellblock('container', 'inspect', '-f', '{{if .State.Running}}up{{else}}down{{end}}', 'verbs-live')).stdout, 'up\n');
});

test('inspect: a name that is an image falls through to image inspect; --type narrows the lookup', async () => {
  const [asImage] = JSON.parse((await cellblock('inspect', image)).stdout);
  assert.ok(asImage.RepoTags.includes(image));
  const notContainer = await cellblock('inspect', '--type', 'container', image);
  assert.deepEqual([notContainer.code, notContainer.stdout, notContainer.stderr], [1, '[]\n', `cellblock: no such container: ${image}\n`]);
  const notImage = await cellblock('inspect', '--type', 'image', 'verbs-live');
  assert.deepEqual([notImage.code, notImage.stderr], [1, 'cellblock: no such image: verbs-live\n']);
  const containerOnly = await cellblock('container', 'inspect', image);
  assert.deepEqual([containerOnly.code, containerOnly.stderr], [1, `cellblock: no such container: ${image}\n`]);
});

test("inspect: a partial miss prints what was found, one line per miss, exit 1 (docker's way)", async () => {
  const r = await cellblock('inspect', 'verbs-exited', 'no-such-thing', 'verbs-live');
  assert.equal(r.code, 1);
  assert.deepEqual(JSON.parse(r.stdout).map((o) => o.Name), ['/verbs-exited', '/verbs-live']);
  assert.equal(r.stderr, 'cellblock: no such object: no-such-thing\n');
  const none = await cellblock('inspect', 'no-such-thing');
  assert.deepEqual([none.code, none.stdout, none.stderr], [1, '[]\n', 'cellblock: no such object: no-such-thing\n']);
});

test('inspect: a bad or failing template prints nothing but one line, 125', async () => {
  refused(await cellblock('inspect', '-f', '{{.State.Nope}}', 'verbs-exited', 'verbs-live'), /invalid -f "\{\{\.State\.Nope\}\}": at \{\{\.State\.Nope\}\}: no field "Nope" \(there are: Status, Running/);
  refused(await cellblock('inspect', '-f', '{{if .Id}}', 'verbs-exited'), /has no \{\{end\}\}/);
  refused(await cellblock('inspect', '--type', 'volume', 'verbs-exited'), /--type/);
});

test("top: the container's processes as the host's ps -ef shows them", async () => {
  const r = await cellblock('top', 'verbs-live');
  assert.equal(r.code, 0, r.stderr);
  const [header, ...rows] = lines(r.stdout);
  assert.deepEqual(header.split(/\s+/), ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
  assert.match(header, /^UID {17}PID {17}PPID/, 'columns 20 wide, as docker top prints them');
  const byPid = new Map(rows.map((row) => row.split(/\s+/)).map((cells) => [Number(cells[1]), cells]));
  // Exactly the processes in the container's pid namespace: sh (pid 1) and its sleep.
  const namespace = readlinkSync(`/proc/${livePid}/ns/pid`);
  const expected = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return readlinkSync(`/proc/${p}/ns/pid`) === namespace;
    } catch {
      return false;
    }
  }).map(Number).sort();
  assert.deepEqual([...byPid.keys()].sort(), expected);
  assert.equal(expected.length, 2);
  assert.equal(byPid.get(livePid)[0], c.runner.user.name, "pid 1's uid as the host sees it: the user who ran it");
  assert.match(rows.find((row) => row.split(/\s+/)[1] === String(livePid)), /sh -c sleep 1000 & echo ready; wait$/, 'the command keeps its spaces');
  const sleeper = [...byPid.values()].find((cells) => cells[1] !== String(livePid));
  assert.equal(Number(sleeper[2]), livePid, "sleep's parent is pid 1");
});

test('top with ps options; not running, missing, or no PID column: one line, 125', async () => {
  const r = await cellblock('container', 'top', 'verbs-live', '-o', 'pid,args');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r.stdout)[0].split(/\s+/), ['PID', 'COMMAND']);
  assert.equal(lines(r.stdout).length, 3);
  refused(await cellblock('top', 'verbs-exited'), /^cellblock: container verbs-exited is not running$/);
  refused(await cellblock('top', 'no-such-thing'), /no such container: no-such-thing/);
  refused(await cellblock('top', 'verbs-live', '-o', 'args'), /shows no PID column/);
  refused(await cellblock('top', 'verbs-live', '--no-such-ps-option'), /^cellblock: ps --no-such-ps-option: /);
});

test('rename: the new name works at once, the old one is free; bad, taken or same names change nothing', async () => {
  const before = readdirSync(namesDir()).sort();
  refused(await cellblock('rename', 'verbs-exited', 'verbs-live'), /the container name "verbs-live" is already in use by container [0-9a-f]{12}/);
  refused(await cellblock('rename', 'verbs-exited', 'x'), /invalid new name "x"/);
  refused(await cellblock('rename', 'verbs-exited', 'a/b'), /invalid new name "a\/b"/);
  refused(await cellblock('rename', 'verbs-exited', 'verbs-exited'), /already named "verbs-exited"/);
  refused(await cellblock('rename', 'no-such-thing', 'verbs-new'), /no such container: no-such-thing/);
  assert.deepEqual(readdirSync(namesDir()).sort(), before, 'no name link made or lost');

  const id = (await cellblock('inspect', '-f', '{{.Id}}', 'verbs-exited')).stdout.trim();
  const r = await cellblock('container', 'rename', 'verbs-exited', 'verbs-renamed');
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '']);
  assert.equal((await cellblock('inspect', '-f', '{{.Id}} {{.Name}}', 'verbs-renamed')).stdout, `${id} /verbs-renamed\n`);
  assert.equal(readlinkSync(join(namesDir(), 'verbs-renamed')), id);
  assert.ok(!existsSync(join(namesDir(), 'verbs-exited')), 'the old name is released');
  // …so a new container may take it.
  const reuse = await cellblock('run', '--rm', '--name', 'verbs-exited', '--rootfs', c.rootfs, 'true');
  assert.equal(reuse.code, 0, reuse.stderr);
  // The running container can be renamed too; the running `run` keeps updating the same record.
  assert.equal((await cellblock('rename', 'verbs-live', 'verbs-running')).code, 0);
  assert.equal((await cellblock('ps', '--format', '{{.Names}} {{.State}}')).stdout, 'verbs-running running\n');
  assert.equal((await cellblock('rename', 'verbs-running', 'verbs-live')).code, 0);
});

test('a run --rm container renamed while it runs releases its new name when it ends', async () => {
  // The rootfs is bound as it is, so a file made here appears in the container's /tmp.
  const go = join(c.rootfs, 'tmp', 'verbs-go');
  const child = await c.startUntilReady(['--name', 'verbs-rm'], 'echo ready; while [ ! -e /tmp/verbs-go ]; do sleep 0.1; done');
  assert.equal((await cellblock('rename', 'verbs-rm', 'verbs-rm-renamed')).code, 0);
  writeFileSync(go, '');
  try {
    const [code] = child.exitCode === null ? await once(child, 'exit') : [child.exitCode];
    assert.equal(code, 0);
  } finally {
    rmSync(go, { force: true });
  }
  const names = readdirSync(namesDir());
  assert.ok(!names.includes('verbs-rm') && !names.includes('verbs-rm-renamed'), `no name left behind: ${names}`);
});

test('rename racing run --name for the same name: exactly one gets it', async () => {
  for (let round = 0; round < 3; round++) {
    const wanted = `verbs-race-${round}`;
    const [run, rename] = await Promise.all([
      cellblock('run', '--name', wanted, '--rootfs', c.rootfs, 'true'),
      cellblock('rename', 'verbs-renamed', wanted),
    ]);
    assert.equal([run.code, rename.code].filter((code) => code === 0).length, 1, `run: ${run.code} ${run.stderr} rename: ${rename.code} ${rename.stderr}`);
    const holder = readlinkSync(join(namesDir(), wanted));
    const named = lines((await cellblock('ps', '-a', '--no-trunc', '-f', `name=^${wanted}$`, '--format', '{{.ID}}')).stdout);
    assert.deepEqual(named, [holder], 'one container has the name, and its link leads to it');
    if (rename.code === 0) {
      assert.equal((await cellblock('rename', wanted, 'verbs-renamed')).code, 0);
    } else {
      assertOneLineError(assert, rename, new RegExp(`"${wanted}" is already in use`));
      assert.equal((await cellblock('rm', wanted)).code, 0);
    }
  }
});

test('container prune: every stopped container goes (record and storage), the running one stays', async () => {
  const stopped = lines((await cellblock('ps', '-aq', '--no-trunc', '-f', 'status=exited')).stdout);
  assert.equal(stopped.length, 2);
  for (const id of stopped) assert.ok(existsSync(storageOf(id)));
  // Without -f it asks; no answer (stdin closed) is "no".
  const asked = await cellblock('container', 'prune');
  assert.equal(asked.code, 0, asked.stderr);
  assert.match(asked.stdout, /^WARNING! This will remove all stopped containers\.\nAre you sure you want to continue\? \[y\/N\] \n$/);
  assert.equal(lines((await cellblock('ps', '-aq')).stdout).length, 3, 'nothing removed');

  const r = await cellblock('container', 'prune', '-f');
  assert.equal(r.code, 0, r.stderr);
  const [heading, ...rest] = lines(r.stdout);
  assert.equal(heading, 'Deleted Containers:');
  assert.deepEqual(rest.slice(0, -2).sort(), [...stopped].sort());
  assert.equal(rest.at(-2), '');
  assert.match(rest.at(-1), /^Total reclaimed space: \d+(\.\d+)?[kMG]?B$/);
  assert.notEqual(rest.at(-1), 'Total reclaimed space: 0B', "the image container's upper dir held a file");
  for (const id of stopped) assert.ok(!existsSync(storageOf(id)), `${id}'s storage is gone`);
  assert.deepEqual(lines((await cellblock('ps', '-a', '--format', '{{.Names}}')).stdout), ['verbs-live']);
  assert.deepEqual(readdirSync(namesDir()), ['verbs-live']);
  assert.equal((await cellblock('container', 'prune', '-f')).stdout, 'Total reclaimed space: 0B\n');
});

test('container ls is ps', async () => {
  for (const alias of ['ls', 'ps', 'list']) {
    assert.equal((await cellblock('container', alias, '-a', '--format', '{{.Names}}')).stdout, 'verbs-live\n');
  }
  refused(await cellblock('container', 'ls', '--format', '{{.Nope}}'), /no field "Nope"/);
});
