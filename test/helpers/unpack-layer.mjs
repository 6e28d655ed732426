// Run unpackLayer / removeTree as the unprivileged user (test/unpack.test.mjs
// starts this through Runner). Prints one JSON line: {ok, result} or {ok:false, message}.
//
//   node unpack-layer.mjs DIST unpack LAYER_FILE MEDIA_TYPE TARGET MODE [NAME]
//   node unpack-layer.mjs DIST fail-after BYTES LAYER_FILE MEDIA_TYPE TARGET MODE
//        (the caller destroys the stream with an error after BYTES, as the store does on a digest mismatch)
//   node unpack-layer.mjs DIST stall BYTES LAYER_FILE MEDIA_TYPE TARGET MODE
//        (BYTES, then nothing: prints "fed" so the test can kill the unpacker)
//   node unpack-layer.mjs DIST remove PATH MODE
import { createReadStream, readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';

const [dist, command, ...args] = process.argv.slice(2);
// `node --test test/` runs every .mjs under test/, this one too: with no arguments, do nothing.
if (dist === undefined) process.exit(0);
const { unpackLayer, removeTree } = await import(pathToFileURL(`${dist}/image/unpack.js`).href);
const { planIdMap } = await import(pathToFileURL(`${dist}/userns/idmap.js`).href);

function partial(file, bytes, then) {
  const stream = new PassThrough();
  stream.write(readFileSync(file).subarray(0, Number(bytes)));
  then(stream);
  return stream;
}

try {
  let result;
  if (command === 'unpack') {
    const [file, mediaType, target, mode, name] = args;
    result = await unpackLayer(createReadStream(file), mediaType, target, planIdMap(mode), name ? { name } : {});
  } else if (command === 'fail-after') {
    const [bytes, file, mediaType, target, mode] = args;
    const stream = partial(file, bytes, (s) => setTimeout(() => s.destroy(new Error('digest mismatch (from the test)')), 200));
    result = await unpackLayer(stream, mediaType, target, planIdMap(mode));
  } else if (command === 'stall') {
    const [bytes, file, mediaType, target, mode] = args;
    const stream = partial(file, bytes, () => setTimeout(() => process.stdout.write('fed\n'), 500));
    result = await unpackLayer(stream, mediaType, target, planIdMap(mode));
  } else if (command === 'remove') {
    const [path, mode] = args;
    result = await removeTree(path, planIdMap(mode));
  } else {
    throw new Error(`unknown command ${command}`);
  }
  process.stdout.write(JSON.stringify({ ok: true, result: result ?? null }) + '\n');
} catch (error) {
  process.stdout.write(JSON.stringify({ ok: false, message: error.message }) + '\n');
  process.exitCode = 1;
}
