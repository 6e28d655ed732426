// The container's terminal (spec.tty): made by the init inside the
// container's own devpts, its master handed back over CONSOLE_FD with
// SCM_RIGHTS — driven as a supervisor will drive it, as an unprivileged user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT } from '../../scripts/lib/as-user.mjs';
import { containerFixture } from './fixture.mjs';

const c = containerFixture();

function runWithConsole(input, script, size = { rows: 33, cols: 101 }) {
  // The helper must be readable by that user, wherever the checkout is.
  const helper = join(c.runner.tempDir('cellblock-console-helper-'), 'console-init.mjs');
  copyFileSync(join(PROJECT, 'test/helpers/console-init.mjs'), helper);
  const dist = join(c.runner.cli, '../..');
  return c.runner.exec(process.execPath, [helper, dist, c.rootfs, String(size.rows), String(size.cols), input, 'sh', '-c', script]);
}

test('with spec.tty the payload runs on /dev/pts/0 of its own devpts, as its controlling terminal, at the size asked for', async () => {
  const script = 'echo ready; read line; echo "got $line"; tty; stty size; echo ctty > /dev/tty; ls /proc/$$/fd; true';
  const r = await runWithConsole('hello\n', script);
  assert.equal(r.code, 0, r.stderr);
  const { messages, output, end } = JSON.parse(r.stdout);
  assert.deepEqual(messages, [{ type: 'exec' }]);
  assert.deepEqual(end, { code: 0, signal: null });
  // The terminal echoes what was typed, and turns \n into \r\n on the way out.
  assert.deepEqual(output.split('\r\n'), ['ready', 'hello', 'got hello', '/dev/pts/0', '33 101', 'ctty', '0  1  2', '']);
});

test('^C typed on the container\'s terminal is SIGINT for the payload', async () => {
  const r = await runWithConsole('\x03', 'trap "echo interrupted; exit 4" INT; echo waiting; sleep 30 & wait');
  assert.equal(r.code, 0, r.stderr);
  const { output, end } = JSON.parse(r.stdout);
  assert.match(output, /interrupted/);
  assert.deepEqual(end, { code: 4, signal: null });
});
