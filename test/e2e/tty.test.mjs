// `run -it` through a real terminal (tmux, test/helpers/tmux.mjs), as the
// unprivileged user.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerFixture } from './fixture.mjs';
import { tmuxTerminal, withoutTmux } from '../helpers/tmux.mjs';

const c = containerFixture();
const { tmux, asUser, cellblockLine, until, close } = tmuxTerminal(c, 'tty');
after(close);

test('run -it: prompt, /dev/pts/0, resize, ctrl-p ctrl-q, attach, exit 3, terminal modes restored', { skip: withoutTmux() }, async () => {
  const dir = c.runner.tempDir('cellblock-tty-');
  const modes = (name) => join(dir, name);
  tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'main', '-x', '100', '-y', '30', asUser(
    `stty -g > ${modes('before')}; ${cellblockLine(`run -it --name tty --rootfs ${c.rootfs} sh`)}; echo "run exited $?"; stty -g > ${modes('after')}; sleep 600`));
  tmux('set-option', '-g', 'status', 'off');
  const pane = 'main';

  await until(pane, /^\/ #$/m); // (capture-pane drops trailing blanks)
  tmux('send-keys', '-t', pane, 'tty', 'Enter');
  await until(pane, /^\/dev\/pts\/0$/m);

  tmux('send-keys', '-t', pane, 'stty size', 'Enter');
  await until(pane, /^30 100$/m);
  tmux('resize-window', '-t', pane, '-x', '120', '-y', '40');
  tmux('send-keys', '-t', pane, 'clear; stty size', 'Enter');
  await until(pane, /^40 120$/m);

  // ctrl-p ctrl-q: the CLI leaves, the container stays.
  tmux('send-keys', '-t', pane, 'C-p', 'C-q');
  await until(pane, /run exited 0$/m); // (after the prompt: detaching prints nothing)
  const ps = await c.runner.cellblock(['ps', '--format', '{{.Names}} {{.State}}']);
  assert.match(ps.stdout, /^tty running$/m);
  assert.equal(readFileSync(modes('after'), 'utf8'), readFileSync(modes('before'), 'utf8'), 'stty -g is as before the run');

  // attach in a second window: the same shell, still on /dev/pts/0.
  tmux('new-window', '-t', 'main', '-n', 'again', asUser(
    `${cellblockLine('attach tty')}; echo "attach exited $?"; stty -g > ${modes('after-attach')}; sleep 600`));
  const second = 'main:again';
  tmux('send-keys', '-t', second, 'clear; echo back on $(tty)', 'Enter');
  await until(second, /^back on \/dev\/pts\/0$/m);
  tmux('send-keys', '-t', second, 'exit 3', 'Enter');
  await until(second, /^attach exited 3$/m);
  assert.equal(readFileSync(modes('after-attach'), 'utf8'), readFileSync(modes('before'), 'utf8'), 'attach restored the terminal too');
  const exited = await c.runner.cellblock(['ps', '-a', '--format', '{{.Names}} {{.Status}}']);
  assert.match(exited.stdout, /^tty Exited \(3\)/m);
  assert.equal((await c.runner.cellblock(['rm', 'tty'])).code, 0);
});

test('run -t without a terminal of our own: output still comes through the container\'s terminal', async () => {
  const r = await c.runner.cellblock(['run', '--rm', '-t', '--rootfs', c.rootfs, 'sh', '-c', 'tty; test -t 0 && echo stdin is a terminal; echo TERM=$TERM; echo to stderr >&2']);
  assert.equal(r.code, 0, r.stderr);
  // The terminal turns "\n" into "\r\n", and stderr is the same terminal; TERM as docker sets it with -t.
  assert.equal(r.stdout, '/dev/pts/0\r\nstdin is a terminal\r\nTERM=xterm\r\nto stderr\r\n');
  const plain = await c.run([], ['sh', '-c', 'echo "TERM=$TERM"']);
  assert.equal(plain.stdout, 'TERM=\n', 'no TERM without -t');
  assert.equal(r.stderr, '');
});

test('bad --detach-keys: one line, 125', async () => {
  const r = await c.runner.cellblock(['run', '--rm', '-it', '--detach-keys', 'ctrl-!', '--rootfs', c.rootfs, 'true']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /^cellblock: invalid --detach-keys "ctrl-!"/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});
