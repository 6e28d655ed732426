// Start one container init with a terminal (spec.tty), the way a supervisor
// will: the init gets one end of a socketpair as its CONSOLE_FD, we receive
// the pty master on the other end, read everything the payload prints until
// it is gone, and type INPUT into it. Run as the unprivileged user by
// test/e2e/console.test.mjs (through Runner, from a copy it can read).
// Prints one JSON line: { messages, output, end, diagnostics }.
//
//   node console-init.mjs DIST ROOTFS ROWS COLS INPUT COMMAND [ARG...]
import { closeSync, read, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';

const [dist, rootfs, rows, cols, input, ...command] = process.argv.slice(2);
// `node --test test/` runs every .mjs under test/, this one too: with no arguments, do nothing.
if (dist === undefined) process.exit(0);
const load = (module) => import(pathToFileURL(`${dist}/${module}`).href);
const { spawnInNamespaces, unshareArgs, converse } = await load('userns/spawn.js');
const { planIdMap } = await load('userns/idmap.js');
const { socketPair } = await load('syscalls/index.js');
const { receiveConsole } = await load('runtime/console.js');
const { CONSOLE_FD } = await load('runtime/protocol.js');
const readAsync = promisify(read);

const spec = {
  id: 'console-check', rootfs, readOnly: false, hostname: 'console-check', command,
  env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'], workdir: '/', user: { user: '0' },
  tty: { rows: Number(rows), cols: Number(cols) },
};

const [ours, theirs] = socketPair();
const stdio = ['ignore', 'ignore', 'pipe', 'pipe', 'ignore', theirs];
if (stdio.indexOf(theirs) !== CONSOLE_FD) throw new Error('the socket must be the init\'s CONSOLE_FD');
const init = spawnInNamespaces(unshareArgs({ network: 'host' }), { stdio, detached: true });
closeSync(theirs); // the init's copy must be the last one, or its end never shows

// The conversation goes on until the container ends; meanwhile the terminal
// is read. INPUT is typed once the payload has printed something: a ^C typed
// before it has a session and a controlling terminal would signal nobody.
const messages = [];
const conversation = (async () => {
  for await (const message of converse(init, planIdMap(), { type: 'go', spec })) messages.push(message);
})();
let output = '';
const relay = receiveConsole(ours).then(async (master) => {
  const buffer = Buffer.alloc(65536);
  for (let typed = false; ;) {
    let n;
    try {
      ({ bytesRead: n } = await readAsync(master, buffer, 0, buffer.length, null));
    } catch (error) {
      // The slave side is closed everywhere (the payload is gone): EIO, after the last byte.
      if (error.code === 'EIO') break;
      throw error;
    }
    if (n === 0) break;
    output += buffer.subarray(0, n).toString();
    if (!typed) writeSync(master, input);
    typed = true;
  }
  closeSync(master);
}, (error) => {
  output = `no terminal: ${error.message}`;
});
await conversation;
const [end, diagnostics] = await Promise.all([init.ended, init.diagnostics, relay]);
process.stdout.write(JSON.stringify({ messages, output, end, diagnostics }) + '\n');
