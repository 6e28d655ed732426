// A program that takes over its terminal with openTerminal (src/cli/terminal.ts),
// for test/unit/terminal.test.mjs, which runs it on a pty and checks that the
// terminal's modes come back however this program ends. Reports on stderr.
//
//   node terminal-child.mjs DIST MODE
//     MODE quiet    wait (for input, the detach keys or a signal); after detaching, stay 30 s
//          throw    throw an uncaught exception once ready
//          handled  handle SIGTERM itself: report it, then exit 7
import { pathToFileURL } from 'node:url';

const [dist, mode] = process.argv.slice(2);
// `node --test test/` runs every .mjs under test/, this one too: with no arguments, do nothing.
if (dist === undefined) process.exit(0);
const { openTerminal } = await import(pathToFileURL(`${dist}/cli/terminal.js`).href);
const say = (line) => process.stderr.write(`${line}\n`);

openTerminal({
  input: (bytes) => say(`input ${JSON.stringify(bytes.toString('latin1'))}`),
  onResize: (size) => say(`resize ${size.rows} ${size.cols}`),
  // Stay a while: the test looks at the terminal while we still run (at our
  // exit Node would put the modes back itself, hiding whether we did).
  onDetach: () => {
    say('detached');
    setTimeout(() => {}, 30_000);
  },
});
if (mode === 'throw') setTimeout(() => { throw new Error('boom'); }, 50);
if (mode === 'handled') {
  process.on('SIGTERM', () => {
    say('handled SIGTERM');
    setTimeout(() => process.exit(7), 50);
  });
}
say('ready');
