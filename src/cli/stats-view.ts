// The live view of `cellblock stats` on a terminal, drawn with ink (React for
// terminals): each second the table is redrawn in place, and q or ctrl-c
// ends it with the terminal as it was (ink leaves raw mode and shows the
// cursor again, on a signal too). Only this module loads ink and React, and
// only stats on a terminal loads it: `cellblock run` never pays for them.
//
// No JSX: the build is plain tsc, so elements are made with createElement (h).
import { createElement as h, useEffect, useState } from 'react';
import { Box, Text, render, useApp, useInput, useStdin } from 'ink';

/**
 * Show FIRST, then what NEXT returns every INTERVAL ms, until the user
 * quits. With TABLE, the first line is the header and is drawn in bold.
 * An error from NEXT ends the view and is thrown from here.
 */
export async function liveView(first: string, next: () => string, table: boolean, interval: number): Promise<void> {
  function StatsView() {
    const { exit } = useApp();
    const [text, setText] = useState(first);
    useEffect(() => {
      const timer = setInterval(() => {
        try {
          setText(next());
        } catch (error) {
          exit(error as Error);
        }
      }, interval);
      return () => clearInterval(timer);
    }, []);
    // Keys need raw mode, so a terminal on stdin; without one, ctrl-c is still SIGINT.
    const { isRawModeSupported } = useStdin();
    useInput((input) => {
      if (input === 'q') exit();
    }, { isActive: Boolean(isRawModeSupported) }); // (isTTY is undefined, not false, off a terminal)
    const lines = text.replace(/\n$/, '').split('\n');
    return h(Box, { flexDirection: 'column' },
      ...lines.map((line, i) => h(Text, { key: i, bold: table && i === 0, wrap: 'truncate-end' }, line)),
      h(Text, { key: 'help', dimColor: true }, isRawModeSupported ? 'q or ctrl-c: quit' : 'ctrl-c: quit'));
  }
  // exitOnCtrlC: in raw mode ctrl-c is a key, not SIGINT; ink ends the view for it.
  const app = render(h(StatsView), { exitOnCtrlC: true, patchConsole: false });
  await app.waitUntilExit();
}
