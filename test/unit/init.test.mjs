// Unit tests of the init's helpers that need no namespace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareMountpoint } from '../../dist/init/paths.js';
import { lookPath } from '../../dist/init/exec.js';

test('prepareMountpoint creates what is missing and refuses symlinks on the way', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'cellblock-unit-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  assert.equal(prepareMountpoint(root, 'dev/pts', 'dir'), `${root}/dev/pts`);
  assert.equal(prepareMountpoint(root, 'dev/null', 'file'), `${root}/dev/null`);
  assert.ok(existsSync(`${root}/dev/pts`) && existsSync(`${root}/dev/null`));
  symlinkSync('/etc', join(root, 'proc'));
  assert.throws(() => prepareMountpoint(root, 'proc', 'dir'), /^InitError: rootfs: \/proc is a symlink/);
  symlinkSync('/', join(root, 'escape'));
  assert.throws(() => prepareMountpoint(root, 'escape/tmp', 'dir'), /rootfs: \/escape is a symlink/);
  writeFileSync(join(root, 'file'), '');
  assert.throws(() => prepareMountpoint(root, 'file/x', 'dir'), /rootfs: \/file is not a directory/);
});

test('lookPath searches the container PATH and tells 126 from 127', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cellblock-unit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'a'));
  mkdirSync(join(dir, 'b'));
  writeFileSync(join(dir, 'a/tool'), '');
  chmodSync(join(dir, 'a/tool'), 0o644);
  writeFileSync(join(dir, 'b/tool'), '#!/bin/sh\n');
  chmodSync(join(dir, 'b/tool'), 0o755);
  const env = [`PATH=${dir}/a:${dir}/b`];
  assert.equal(lookPath('tool', env), `${dir}/b/tool`);
  assert.equal(lookPath('./x', env), './x');
  // Only root ignores a missing execute bit for access(X_OK) on a file with no x at all: none here.
  assert.throws(() => lookPath('tool', [`PATH=${dir}/a`]), (e) => e.exitCode === 126 && /permission denied/.test(e.message));
  assert.throws(() => lookPath('nope', env), (e) => e.exitCode === 127 && e.message === 'exec: "nope": executable file not found in $PATH');
});
