// Unit tests of image references, docker's command rules and platform choice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { familiarName, formatReference, parseReference } from '../../dist/image/reference.js';
import { resolveCommand } from '../../dist/image/run-config.js';
import { parsePlatform, selectManifest } from '../../dist/image/platform.js';
import { layerSizeLimit, parseConfig, parseManifest } from '../../dist/image/validate.js';

const full = (text) => formatReference(parseReference(text));

test('references are completed as docker completes them', () => {
  assert.equal(full('busybox'), 'docker.io/library/busybox:latest');
  assert.equal(full('alice/app:1.2'), 'docker.io/alice/app:1.2');
  assert.equal(full('localhost/app'), 'localhost/app:latest');
  assert.equal(full('127.0.0.1:5000/team/app:dev'), '127.0.0.1:5000/team/app:dev');
  assert.equal(full('registry.example/a/b/c'), 'registry.example/a/b/c:latest');
  assert.equal(full('[::1]:5000/app'), '[::1]:5000/app:latest');
  const digest = `sha256:${'a'.repeat(64)}`;
  assert.deepEqual(parseReference(`app@${digest}`), { registry: 'docker.io', repository: 'library/app', tag: undefined, digest });
  assert.equal(full(`app:1@${digest}`), `docker.io/library/app:1@${digest}`);
  assert.equal(familiarName(parseReference('busybox')), 'busybox');
  assert.equal(familiarName(parseReference('alice/app')), 'alice/app');
});

test('bad references are one-line errors naming the problem', () => {
  for (const [text, why] of [
    ['', /empty/], ['Busybox', /lowercase/], ['app:', /not a valid tag/], ['app:bad tag', /not a valid tag/],
    ['app@sha256:123', /64 lowercase hex/], ['a//b', /separators/], ['-app', /separators/], ['app:-x', /not a valid tag/],
    [`${'a'.repeat(256)}`, /longer than 255/], ['busybox::1', /"busybox:" is not a valid path component/],
    ['127.0.0.1:65536/app', /a port from 1 to 65535/], ['127.0.0.1:0/app', /a port from 1 to 65535/],
  ]) {
    assert.throws(() => parseReference(text), (e) => e.message.startsWith(`invalid image reference "${text}": `) && why.test(e.message), text);
  }
});

test('entrypoint, cmd and run arguments combine by docker rules', () => {
  const image = { Entrypoint: ['/entry'], Cmd: ['--default'], WorkingDir: '/app', User: 'app' };
  assert.deepEqual(resolveCommand(image, { args: [] }), { argv: ['/entry', '--default'], entrypoint: ['/entry'], workdir: '/app', user: 'app' });
  assert.deepEqual(resolveCommand(image, { args: ['x'] }).argv, ['/entry', 'x']);
  assert.deepEqual(resolveCommand(image, { args: [], entrypoint: 'sh' }).argv, ['sh'], '--entrypoint drops the image Cmd');
  assert.deepEqual(resolveCommand(image, { args: ['-c', 'id'], entrypoint: 'sh' }).argv, ['sh', '-c', 'id']);
  assert.deepEqual(resolveCommand(image, { args: ['id'], entrypoint: '' }).argv, ['id'], '--entrypoint "" clears it');
  assert.deepEqual(resolveCommand(image, { args: ['-c', 'id'], entrypoint: 'sh' }).entrypoint, ['sh'], 'the entrypoint part of argv, for inspect');
  assert.deepEqual(resolveCommand({ Cmd: ['sh'] }, { args: [], workdir: '/w', user: '5' }), { argv: ['sh'], entrypoint: [], workdir: '/w', user: '5' });
  assert.deepEqual(resolveCommand({}, { args: ['true'] }), { argv: ['true'], entrypoint: [], workdir: '/', user: '0' });
  assert.throws(() => resolveCommand({}, { args: [] }), /no command specified/);
  assert.throws(() => resolveCommand({ Entrypoint: null, Cmd: null }, { args: [] }), /no command specified/);
});

test('the platform is chosen from an index, and a missing one is named', () => {
  const entry = (architecture, variant) => ({ mediaType: 'm', digest: `sha256:${architecture[0].repeat(64)}`, size: 1, platform: { os: 'linux', architecture, ...(variant ? { variant } : {}) } });
  const index = { schemaVersion: 2, manifests: [entry('arm64', 'v8'), entry('amd64'), entry('arm', 'v7')] };
  assert.equal(selectManifest(index, { os: 'linux', architecture: 'amd64' }).platform.architecture, 'amd64');
  assert.equal(selectManifest(index, parsePlatform('linux/arm64')).platform.architecture, 'arm64');
  assert.equal(selectManifest(index, parsePlatform('linux/arm/v7')).platform.variant, 'v7');
  assert.throws(() => selectManifest(index, parsePlatform('linux/s390x')), /no image for linux\/s390x in this index \(it has: linux\/arm64\/v8, linux\/amd64, linux\/arm\/v7\)/);
  assert.throws(() => parsePlatform('linux'), /invalid --platform "linux"/);
});

test('import --change sets config as a Dockerfile would', async () => {
  const { applyChange } = await import('../../dist/image/run-config.js');
  const config = ['CMD ["sh", "-c", "id"]', 'ENTRYPOINT /entry --x', 'ENV A=1', 'env B=two words', 'WORKDIR /srv', 'USER 1000:50']
    .reduce(applyChange, {});
  assert.deepEqual(config, { Cmd: ['sh', '-c', 'id'], Entrypoint: ['/bin/sh', '-c', '/entry --x'], Env: ['A=1', 'B=two words'], WorkingDir: '/srv', User: '1000:50' });
  for (const [bad, why] of [['RUN make', /expected CMD, ENTRYPOINT/], ['CMD ["sh", 1]', /JSON array of strings/], ['CMD [oops', /JSON array/], ['ENV novalue', /KEY=VALUE/]]) {
    assert.throws(() => applyChange({}, bad), (e) => e.message.startsWith(`invalid --change "${bad}"`) && why.test(e.message), bad);
  }
});

test('manifests and configs are checked before anything is fetched with them', () => {
  const OCI = 'application/vnd.oci.image.manifest.v1+json';
  const digest = (c) => `sha256:${c.repeat(64)}`;
  const good = () => ({
    schemaVersion: 2, mediaType: OCI,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digest('c'), size: 100 },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digest('a'), size: 1000 }],
  });
  const parse = (change, mediaType = OCI) => {
    const manifest = good();
    change(manifest);
    return () => parseManifest(Buffer.from(JSON.stringify(manifest)), mediaType, digest('m'));
  };
  assert.deepEqual(parse(() => {})(), good());
  assert.throws(parse(() => {}, 'application/vnd.docker.distribution.manifest.v1+prettyjws'), /is a schema 1 manifest/);
  assert.throws(parse(() => {}, 'text/plain'), /has media type "text\/plain", which is not an image manifest/);
  assert.throws(parse((m) => { delete m.config; }), /has no config$/);
  assert.throws(parse((m) => { m.config.mediaType = 'application/vnd.cncf.helm.config.v1+json'; }), /not an image \(an artifact\?\)/);
  assert.throws(parse((m) => { delete m.layers; }), /has no layers$/);
  assert.throws(parse((m) => { m.layers = {}; }), /"layers" is not a list/);
  assert.throws(parse((m) => { m.layers[0].size = -1; }), /layer 0 has size -1, not a byte count/);
  assert.throws(parse((m) => { m.layers[0].size = 2 ** 53; }), /layer 0 is 9007199254740992 bytes, more than the 32g a layer may be/);
  assert.throws(parse((m) => { m.layers[0].digest = 'md5:x'; }), /layer 0 has digest "md5:x"/);
  assert.throws(parse((m) => { m.layers[0].mediaType = 'application/x-rar'; }), /layer 0: unsupported layer media type/);
  const config = (value) => () => parseConfig(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)), good(), digest('m'));
  assert.throws(config('{'), /is not JSON$/);
  assert.throws(config([]), /is not a JSON object$/);
  assert.throws(config({ rootfs: {} }), /has no rootfs\.diff_ids list/);
  assert.throws(config({ rootfs: { diff_ids: [digest('d'), digest('e')] } }), /the manifest lists 1 layers but the config 2 diff_ids/);
  assert.deepEqual(config({ rootfs: { diff_ids: [digest('d')] } })().rootfs.diff_ids, [digest('d')]);
});

test('the layer size limit: 32g unless CELLBLOCK_MAX_LAYER_SIZE says otherwise', () => {
  assert.deepEqual(layerSizeLimit({}), { bytes: 32 * 1024 ** 3, text: '32g' });
  assert.deepEqual(layerSizeLimit({ CELLBLOCK_MAX_LAYER_SIZE: '100g' }), { bytes: 100 * 1024 ** 3, text: '100g' });
  assert.throws(() => layerSizeLimit({ CELLBLOCK_MAX_LAYER_SIZE: 'lots' }), /invalid CELLBLOCK_MAX_LAYER_SIZE "lots"/);
});
