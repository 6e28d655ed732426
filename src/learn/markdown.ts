// A chapter's markdown as lines for a terminal of a given width. `marked`
// parses (its lexer only: tokens, no HTML); this file decides how each kind
// of block looks at 80 columns: prose wrapped, code kept as written (clipped,
// shifted sideways by the reader), the "### `src/…`" heading that names the
// quoted file drawn as a bar, tables fitted, diagrams as their text version.
import { Lexer, type MarkedToken, type Token, type Tokens } from 'marked';
import { renderTable } from './markdown-table.js';
import {
  blankLine, preLines, span, spansWidth, textWidth, wrapWithPrefix, type Line, type Span, type Style,
} from './markdown-wrap.js';

export interface RenderOptions {
  /** Columns available: no line is wider (preformatted lines are clipped to it when drawn). */
  width: number;
  /**
   * The text version of an image, if it has one: for `diagrams/NAME.svg`,
   * chapters/diagrams/NAME.txt. Without one, the image's alt text is shown.
   */
  imageText?: (href: string) => string | undefined;
}

/** Five entities cover what markdown source writes by hand; the lexer leaves them as typed. */
const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
const decode = (text: string) => text.replace(/&(amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity]);

/** Inline tokens as styled spans; STYLE is what an enclosing **strong**, *em* or link gives plain text. */
function inlineSpans(tokens: readonly Token[] | undefined, style: Style = 'text'): Span[] {
  const out: Span[] = [];
  for (const token of (tokens ?? []) as MarkedToken[]) {
    switch (token.type) {
      case 'strong': out.push(...inlineSpans(token.tokens, 'strong')); break;
      case 'em': out.push(...inlineSpans(token.tokens, style === 'strong' ? 'strong' : 'em')); break;
      case 'del': out.push(...inlineSpans(token.tokens, style)); break;
      case 'codespan': out.push(span(decode(token.text), 'code')); break;
      case 'link': {
        out.push(...inlineSpans(token.tokens, 'link'));
        // The address matters to a reader who cannot click: shown after the text, unless it is the text.
        if (token.href !== token.text && !token.href.startsWith('#')) out.push(span(` <${token.href}>`, 'dim'));
        break;
      }
      case 'image': out.push(span(`[image: ${decode(token.text)}]`, 'dim')); break;
      case 'br': out.push(span('\n')); break;
      case 'text':
        // A text token in a tight list item carries inline tokens of its own.
        if ('tokens' in token && token.tokens?.length) out.push(...inlineSpans(token.tokens, style));
        else out.push(span(decode(token.text).replace(/\n/g, ' '), style));
        break;
      case 'escape': out.push(span(token.text, style)); break;
      case 'checkbox': out.push(span(token.checked ? '[x] ' : '[ ] ', 'dim')); break;
      default: out.push(span(decode('raw' in token ? String(token.raw) : ''), 'dim')); // inline HTML, as typed
    }
  }
  return out;
}

const isPath = (text: string) => /^[\w.-]+\/[\w./-]+$/.test(text);

/**
 * A heading. "### `src/init/uts-ipc.ts` — `setHostname`" introduces code
 * quoted from that file (test/chapters.test.mjs holds the quote to it), so it
 * is drawn as a bar across the page: the reader sees where the code lives.
 */
function heading(token: Tokens.Heading, width: number): Line[] {
  const spans = inlineSpans(token.tokens);
  const first = (token.tokens as MarkedToken[])[0];
  if (token.depth >= 3 && first?.type === 'codespan' && isPath(first.text)) {
    const text = spans.map((s) => s.text).join('');
    const bar = `── ${text} `;
    const line = textWidth(bar) < width ? `${bar}${'─'.repeat(width - textWidth(bar))}` : text;
    return wrapWithPrefix([span(line, 'path')], width);
  }
  const style: Style = token.depth === 1 ? 'title' : token.depth === 2 ? 'heading' : 'subheading';
  const lines = wrapWithPrefix(spans.map((s) => span(s.text, s.style === 'code' ? 'code' : style)), width);
  if (token.depth > 2) return lines;
  // An underline, as wide as the heading's longest line: the page's sections stand out.
  const underline = Math.max(...lines.map((line) => spansWidth(line.spans)));
  return [...lines, { prefix: [], spans: [span((token.depth === 1 ? '═' : '─').repeat(underline), style)] }];
}

/** A diagram (or any image) standing for itself in a paragraph: its text version, or its alt text. */
function image(token: Tokens.Image, width: number, options: RenderOptions): Line[] {
  const alternative = /^[a-z]+:/i.test(token.href) ? undefined : options.imageText?.(token.href);
  const caption = wrapWithPrefix([span(`▣ ${decode(token.text)}`, 'dim')], width);
  if (alternative === undefined) return caption;
  // The gutter marks the drawing as a picture — unless it would push an
  // 80-column drawing past an 80-column terminal: a whole picture is worth more.
  const widest = Math.max(...alternative.split('\n').map((line) => textWidth(line)));
  return [...caption, ...preLines(alternative, 'pre', widest + 2 <= width ? [span('┊ ', 'dim')] : [])];
}

/**
 * A paragraph, wrapped. Images in it become blocks of their own where they
 * have a text version (a diagram cannot be wrapped like words).
 */
function paragraph(tokens: readonly Token[], width: number, options: RenderOptions): Line[] {
  const lines: Line[] = [];
  let run: Token[] = [];
  const flush = () => {
    const spans = inlineSpans(run);
    if (spans.some((s) => s.text.trim() !== '')) lines.push(...wrapWithPrefix(spans, width));
    run = [];
  };
  for (const token of tokens as MarkedToken[]) {
    if (token.type === 'image') {
      flush();
      lines.push(...image(token, width, options));
    } else {
      run.push(token);
    }
  }
  flush();
  return lines;
}

/** Each line of LINES with PREFIX before it (a bullet on the first, FOLLOWING on the rest). */
function indent(lines: Line[], first: Span[], following: Span[]): Line[] {
  return lines.map((line, i) => ({ ...line, prefix: [...(i === 0 ? first : following), ...line.prefix] }));
}

function list(token: Tokens.List, width: number, options: RenderOptions): Line[] {
  const start = typeof token.start === 'number' ? token.start : 1;
  const markers = token.items.map((_, i) => (token.ordered ? `${start + i}. ` : '• '));
  const markerWidth = Math.max(...markers.map(textWidth));
  const lines: Line[] = [];
  token.items.forEach((item, i) => {
    if (i > 0 && token.loose) lines.push(blankLine());
    const body = blocks(item.tokens, width - markerWidth, options, item.loose);
    lines.push(...indent(body, [span(markers[i].padEnd(markerWidth), 'dim')], [span(' '.repeat(markerWidth))]));
  });
  return lines;
}

function table(token: Tokens.Table, width: number): Line[] {
  const cells = (row: Tokens.TableCell[]) => row.map((cell) => inlineSpans(cell.tokens));
  return renderTable(cells(token.header), token.rows.map(cells), width);
}

/** The lines of one block-level token. */
function block(token: MarkedToken, width: number, options: RenderOptions): Line[] {
  switch (token.type) {
    case 'space': case 'def': return [];
    case 'heading': return heading(token, width);
    case 'paragraph': return paragraph(token.tokens, width, options);
    case 'text': return paragraph(token.tokens ?? [token], width, options); // a tight list item's text
    // Code as written, beside a bar: the reader shifts it sideways rather than wrap it, since a wrapped line of code reads as two.
    case 'code': return preLines(token.text, 'pre', [span('│ ', 'dim')]);
    case 'list': return list(token, width, options);
    case 'blockquote': return indent(blocks(token.tokens, width - 2, options), [span('▎ ', 'dim')], [span('▎ ', 'dim')]);
    case 'table': return table(token, width);
    case 'hr': return [{ prefix: [], spans: [span('─'.repeat(width), 'rule')] }];
    case 'html': return preLines(token.text.trim(), 'dim');
    default: return 'raw' in token ? wrapWithPrefix([span(String(token.raw))], width) : [];
  }
}

/** Blocks one after another, a blank line between them when SPACED (a tight list item's parts have none). */
function blocks(tokens: readonly Token[], width: number, options: RenderOptions, spaced = true): Line[] {
  const out: Line[] = [];
  for (const token of tokens as MarkedToken[]) {
    const lines = block(token, width, options);
    if (lines.length === 0) continue;
    if (out.length > 0 && spaced) out.push(blankLine());
    out.push(...lines);
  }
  return out;
}

/** SOURCE (markdown) as lines for a terminal OPTIONS.width columns wide. */
export function renderMarkdown(source: string, options: RenderOptions): Line[] {
  // Below ~20 columns nothing reads well; never below 1, where wrapping could not progress.
  const width = Math.max(options.width, 20);
  return blocks(new Lexer().lex(source), width, { ...options, width });
}
