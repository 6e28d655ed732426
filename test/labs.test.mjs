// Every lab is also a test: `npm test` runs each labs/NN-*/lab.mjs and fails
// with the lab's own output when one of its checks does not hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { collect, PROJECT } from '../scripts/lib/as-user.mjs';
import { spawn } from 'node:child_process';

const LABS = join(PROJECT, 'labs');
const labs = readdirSync(LABS).filter((name) => /^\d\d-/.test(name) && existsSync(join(LABS, name, 'lab.mjs'))).sort();

test('there is a lab for each of chapters 01–12', () => {
  assert.deepEqual(labs.map((name) => name.slice(0, 2)), ['01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12']);
});

for (const name of labs) {
  test(`lab ${name}`, { timeout: 120_000 }, async () => {
    const result = await collect(spawn(process.execPath, [join(LABS, name, 'lab.mjs')], { env: { ...process.env, FORCE_COLOR: '0' } }));
    assert.equal(result.code, 0, `lab ${name} failed:\n${result.stdout}${result.stderr}`);
    assert.match(result.stdout, /PASS {2}\d+ passed, 0 failed/);
  });
}
