// Styled text cut into lines of a given width: what the chapter reader and the
// lab pane draw. Kept free of ink and of markdown, so the arithmetic of
// "fits in 80 columns" is tested on its own.

/** How a piece of text looks; the reader maps each to terminal colours in one place. */
export type Style =
  | 'text' | 'strong' | 'em' | 'code' | 'link' | 'dim'
  | 'title' | 'heading' | 'subheading' | 'path' | 'pre' | 'rule' | 'table-head';

export interface Span {
  text: string;
  style: Style;
}

export interface Line {
  /** Drawn first and never shifted: list bullets, indents, the bar beside code and quotes. */
  prefix: Span[];
  spans: Span[];
  /** Preformatted (code, lab output, diagrams): never wrapped; clipped at the edge and shifted sideways by ←/→. */
  pre?: boolean;
}

export const span = (text: string, style: Style = 'text'): Span => ({ text, style });
export const blankLine = (): Line => ({ prefix: [], spans: [] });

/**
 * Columns TEXT takes on a terminal, counted as one per code point: the
 * chapters are ASCII plus box-drawing characters, arrows and ✔/✘, all one
 * column wide. (A wide character would be cut by ink's truncation, which
 * measures exactly, rather than spill onto the next line.)
 */
export const textWidth = (text: string): number => Array.from(text).length;

export const spansWidth = (spans: readonly Span[]): number => spans.reduce((sum, s) => sum + textWidth(s.text), 0);

/** Tabs to spaces at 8-column stops, as a terminal shows them (`cat` of /proc/PID/status has tabs). */
export function expandTabs(line: string): string {
  if (!line.includes('\t')) return line;
  let out = '';
  for (const char of line) out += char === '\t' ? ' '.repeat(8 - (textWidth(out) % 8)) : char;
  return out;
}

/**
 * Control characters and escape sequences removed: a lab's output goes into
 * a pane whose every column we account for, so a stray \r or colour code
 * must not move the cursor or take up invisible width.
 */
export function printable(text: string): string {
  return text
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '') // CSI: colours, cursor moves
    .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, '') // OSC: window titles, links
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
}

/** The columns FROM … FROM+WIDTH of a preformatted line, each span keeping its style. */
export function sliceColumns(spans: readonly Span[], from: number, width: number): Span[] {
  const out: Span[] = [];
  let column = 0;
  for (const s of spans) {
    const chars = Array.from(s.text);
    const start = Math.max(from - column, 0);
    const end = Math.min(from + width - column, chars.length);
    if (end > start) out.push(span(chars.slice(start, end).join(''), s.style));
    column += chars.length;
  }
  return out;
}

/** A word: the spans between two runs of white space ("**b**," is one word in two styles). */
type Word = Span[];

/** SPANS as words; a span whose text is "\n" (a <br>) is a hard line break, kept as an empty word list entry. */
function words(spans: readonly Span[]): (Word | 'break')[] {
  const out: (Word | 'break')[] = [];
  let current: Word = [];
  const end = () => {
    if (current.length) out.push(current);
    current = [];
  };
  for (const s of spans) {
    if (s.text === '\n') {
      end();
      out.push('break');
      continue;
    }
    for (const part of s.text.split(/(\s+)/)) {
      if (part === '') continue;
      if (/^\s+$/.test(part)) end();
      else current.push(span(part, s.style));
    }
  }
  end();
  return out;
}

/**
 * SPANS filled into lines at most WIDTH columns wide, breaking at white
 * space; a word longer than a whole line is cut where the line ends (a long
 * path or URL), so no line is ever wider than WIDTH.
 */
export function wrapSpans(spans: readonly Span[], width: number): Span[][] {
  const limit = Math.max(width, 1);
  const lines: Span[][] = [];
  let line: Span[] = [];
  let used = 0;
  const flush = () => {
    lines.push(line);
    line = [];
    used = 0;
  };
  for (const word of words(spans)) {
    if (word === 'break') {
      flush();
      continue;
    }
    const size = spansWidth(word);
    if (used > 0 && used + 1 + size > limit) flush();
    if (used > 0) {
      line.push(span(' '));
      used += 1;
    }
    if (size <= limit - used) {
      line.push(...word);
      used += size;
      continue;
    }
    // Longer than what is left even of an empty line: cut it into pieces.
    let rest = word;
    while (spansWidth(rest) > limit - used) {
      const room = limit - used;
      line.push(...sliceColumns(rest, 0, room));
      rest = sliceColumns(rest, room, Infinity);
      flush();
    }
    line.push(...rest);
    used += spansWidth(rest);
  }
  if (line.length || lines.length === 0) flush();
  return lines;
}

/** Wrapped lines of SPANS under PREFIX on the first line and CONTINUATION (same width) on the others. */
export function wrapWithPrefix(spans: readonly Span[], width: number, prefix: Span[] = [], continuation: Span[] = prefix): Line[] {
  return wrapSpans(spans, width - spansWidth(prefix)).map((spansOfLine, i) => ({
    prefix: i === 0 ? prefix : continuation,
    spans: spansOfLine,
  }));
}

/**
 * Text as preformatted lines: tabs expanded, control characters removed,
 * never wrapped. A carriage return inside a line (a progress counter
 * redrawing itself) keeps what a terminal would show: the text after it.
 */
export function preLines(text: string, style: Style, prefix: Span[] = []): Line[] {
  return text.replace(/\n$/, '').split('\n').map((line) => ({
    prefix,
    spans: [span(expandTabs(printable(line.replace(/\r+$/, '').split('\r').at(-1)!)), style)],
    pre: true,
  }));
}
