// Registries that want credentials: HTTP Basic (htpasswd) and the bearer
// token dance (a token server the test runs), through the CLI as a user would.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { startRegistry } from '../helpers/registry.mjs';
import { pushSingleLayer } from '../helpers/images.mjs';
import { assertOneLineError, containerFixture } from './fixture.mjs';

const c = containerFixture();
const registries = {};

before(async () => {
  [registries.htpasswd, registries.token] = await Promise.all([startRegistry({ auth: 'htpasswd' }), startRegistry({ auth: 'token' })]);
});
after(() => Promise.all(Object.values(registries).map((r) => r.stop())));

for (const kind of ['htpasswd', 'token']) {
  test(`${kind}: pull is refused without login, works after, and logout forgets`, async () => {
    const registry = registries[kind];
    const image = await pushSingleLayer(registry, `private/${kind}`);
    assertOneLineError(assert, await c.runner.cellblock(['pull', image.reference]), new RegExp(`unauthorized.*cellblock login ${registry.host.replace(/\./g, '\\.')}`));
    assertOneLineError(assert, await c.runner.cellblock(['login', '-u', registry.user, '--password-stdin', registry.host], { input: 'wrong-password\n' }), /unauthorized|incorrect/i);

    const login = await c.runner.cellblock(['login', '-u', registry.user, '--password-stdin', registry.host], { input: `${registry.password}\n` });
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /Login Succeeded/);
    assert.equal(statSync(join(c.runner.configDir, 'cellblock', 'auth.json')).mode & 0o777, 0o600);
    const pulled = await c.runner.cellblock(['pull', image.reference]);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal((await c.runner.cellblock(['run', '--rm', image.reference, 'true'])).code, 0);

    assert.equal((await c.runner.cellblock(['logout', registry.host])).code, 0);
    assertOneLineError(assert, await c.runner.cellblock(['pull', image.reference]), /unauthorized/);
  });
}
