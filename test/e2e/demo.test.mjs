// The README's first command: `npm run demo` builds an image offline with
// cellblock's own code and runs it; here it must succeed and show isolation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT, collect } from '../../scripts/lib/as-user.mjs';

test('npm run demo (scripts/demo.mjs) runs the imported image and shows uid 0 and pid 1 inside', { timeout: 120_000 }, async () => {
  const r = await collect(spawn(process.execPath, [join(PROJECT, 'scripts/demo.mjs')]));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^localhost\/cellblock-demo\s+latest\s+[0-9a-f]{12}\s/m);
  assert.match(r.stdout, /^uid \(id -u\)\s+\d+\s+0$/m);
  assert.match(r.stdout, /^pid of the shell\s+\d+\s+1$/m);
});
