// How lines look on the terminal: the one place where styles become colours,
// and the frame every screen shares (a title bar, a body, a key line).
//
// No JSX: the build is plain tsc, so elements are made with createElement (h),
// as in src/cli/stats-view.ts.
import { createElement as h, type ReactElement } from 'react';
import { Box, Text, type TextProps } from 'ink';
import { sliceColumns, span, spansWidth, textWidth, type Line, type Span, type Style } from '../markdown-wrap.js';

// The 8 basic colours only: they look right on any terminal, over SSH, in tmux.
const STYLES: Record<Style, TextProps> = {
  text: {},
  strong: { bold: true },
  em: { italic: true },
  code: { color: 'yellow' },
  link: { color: 'cyan', underline: true },
  dim: { dimColor: true },
  title: { bold: true, color: 'cyan' },
  heading: { bold: true, color: 'cyan' },
  subheading: { bold: true },
  path: { bold: true, color: 'green' },
  pre: {},
  rule: { dimColor: true },
  'table-head': { bold: true },
};

/** SPANS as one terminal line: never wrapped (ink would push the frame down), cut at the edge. */
export function spansText(spans: readonly Span[], key?: string | number): ReactElement {
  const parts = spans.filter((s) => s.text !== '');
  // An empty Text takes no height in ink's layout: a blank line must hold a space.
  if (parts.length === 0) return h(Text, { key }, ' ');
  return h(Text, { key, wrap: 'truncate-end' }, ...parts.map((s, i) => h(Text, { key: i, ...STYLES[s.style] }, s.text)));
}

/**
 * LINE within WIDTH columns. A preformatted line is shown from column LEFT
 * (←/→ move it) and, when it goes on past the edge, ends in a dim › that says so.
 */
export function visibleSpans(line: Line, width: number, left: number): Span[] {
  if (!line.pre) return [...line.prefix, ...line.spans];
  const room = width - spansWidth(line.prefix);
  const clipped = spansWidth(line.spans) > left + room;
  const shown = sliceColumns(line.spans, left, clipped ? room - 1 : room);
  return [...line.prefix, ...shown, ...(clipped ? [span('›', 'dim')] : [])];
}

/** LEFT and RIGHT on one line of exactly WIDTH columns; LEFT gives way (cut with …) when both do not fit. */
export function barText(left: string, right: string, width: number): string {
  const room = width - textWidth(right) - 1;
  const shown = textWidth(left) > room ? `${Array.from(left).slice(0, Math.max(room - 1, 0)).join('')}…` : left;
  return Array.from(`${shown}${' '.repeat(Math.max(width - textWidth(shown) - textWidth(right), 1))}${right}`).slice(0, width).join('');
}

export interface FrameProps {
  width: number;
  /** The frame's lines, title bar and key line included. */
  height: number;
  title: string;
  /** Right side of the title bar: the chapter's state, the scroll position. */
  info: string;
  body: ReactElement[];
  /** The key line; a message replaces it until the next key. */
  keys: string;
  message?: string;
}

/**
 * One screen: title bar, body padded to its full height (so the frame keeps
 * its size and ink redraws it in place), key line.
 */
export function Frame({ width, height, title, info, body, keys, message }: FrameProps): ReactElement {
  const bodyHeight = Math.max(height - 2, 1);
  const padding = Array.from({ length: Math.max(bodyHeight - body.length, 0) }, (_, i) => spansText([], `pad${i}`));
  return h(Box, { flexDirection: 'column', width, height },
    h(Text, { inverse: true, bold: true }, barText(` ${title}`, `${info} `, width)),
    h(Box, { flexDirection: 'column', height: bodyHeight, overflow: 'hidden' }, ...body.slice(0, bodyHeight), ...padding),
    message ? h(Text, { color: 'yellow', wrap: 'truncate-end' }, message) : h(Text, { dimColor: true, wrap: 'truncate-end' }, keys));
}
