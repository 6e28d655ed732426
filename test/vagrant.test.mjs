// The workshop Vagrantfile: `vagrant validate --ignore-provider` checks it
// offline (`vagrant up` needs a box download, which CI machines cannot do;
// the test VM of `npm run test:vm` runs the same provisioning script instead).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT } from '../scripts/lib/as-user.mjs';

const installed = !spawnSync('vagrant', ['--version'], { stdio: 'ignore' }).error;
const skip = installed ? false : 'SKIP: vagrant is not installed (apt-get install vagrant)';
if (skip) console.log(skip);

/** `vagrant validate --ignore-provider` on the Vagrantfile in DIR, touching nothing of ours. */
function validate(dir) {
  const scratch = mkdtempSync(join(tmpdir(), 'cellblock-vagrant-'));
  try {
    // No version check over the network; state (.vagrant/) and ~/.vagrant.d
    // in a temporary directory, not in the checkout or root's home.
    const env = { ...process.env, VAGRANT_CHECKPOINT_DISABLE: '1', VAGRANT_HOME: join(scratch, 'home'), VAGRANT_DOTFILE_PATH: join(scratch, 'dot') };
    return spawnSync('vagrant', ['validate', '--ignore-provider'], { cwd: dir, env, encoding: 'utf8' });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

test('vagrant validate --ignore-provider accepts the Vagrantfile', { skip }, () => {
  const result = validate(PROJECT);
  assert.equal(result.status, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /Vagrantfile validated successfully/);
});

test('and would refuse it if its provisioning script were missing', { skip }, () => {
  const alone = mkdtempSync(join(tmpdir(), 'cellblock-vagrantfile-'));
  try {
    copyFileSync(join(PROJECT, 'Vagrantfile'), join(alone, 'Vagrantfile'));
    const result = validate(alone);
    assert.notEqual(result.status, 0);
    assert.match(result.stdout + result.stderr, /scripts\/vm\/provision\.sh/);
  } finally {
    rmSync(alone, { recursive: true, force: true });
  }
});
