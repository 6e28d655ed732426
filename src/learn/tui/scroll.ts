// Scrolling, shared by the chapter reader and the lab's output: the keys of
// less(1) and vi, as a pure function of the key and where the view is.
import type { Key } from 'ink';

export interface Position {
  /** The first line shown. */
  top: number;
  /** Columns preformatted lines are shifted left by (code is clipped, not wrapped). */
  left: number;
}

export interface Extent {
  /** Lines the view shows at once. */
  height: number;
  /** Lines there are. */
  total: number;
  /** The widest preformatted line, in columns, and the columns it has to be shown in. */
  wide: number;
  width: number;
}

/** The last position TOP can take: the last line at the bottom of the view, never past it. */
export const lastTop = (extent: Extent) => Math.max(extent.total - extent.height, 0);

/** Columns one ←/→ moves code by: big steps, since code is read in chunks, not letters. */
const SIDEWAYS = 8;

/** What a scrolling key does: a new position from the one the view has. */
export type Move = (at: Position, extent: Extent) => Position;

/**
 * The move INPUT/KEY asks for, or undefined when it is not a scrolling key.
 * A move is applied to the latest position (React's functional update), so
 * keys that arrive together — a held-down j — each count.
 */
export function scrollMove(input: string, key: Key): Move | undefined {
  const by = (lines: (extent: Extent) => number, columns = 0): Move => (at, extent) =>
    clamp({ top: at.top + lines(extent), left: at.left + columns }, extent);
  const page = (extent: Extent) => Math.max(extent.height - 1, 1); // one line of the last page stays, as in less
  if (key.upArrow || input === 'k') return by(() => -1);
  if (key.downArrow || input === 'j' || key.return) return by(() => 1);
  if (key.pageDown || input === ' ' || input === 'f') return by(page);
  if (key.pageUp || input === 'b') return by((extent) => -page(extent));
  if (key.home || input === 'g') return (at, extent) => clamp({ top: 0, left: at.left }, extent);
  if (key.end || input === 'G') return (at, extent) => clamp({ top: lastTop(extent), left: at.left }, extent);
  if (key.leftArrow || input === 'h') return by(() => 0, -SIDEWAYS);
  if (key.rightArrow || input === 'l') return by(() => 0, SIDEWAYS);
  return undefined;
}

/** AT kept inside the text: no line above the first, no empty page after the last, code not shifted past its end. */
function clamp(at: Position, extent: Extent): Position {
  return {
    top: Math.min(Math.max(at.top, 0), lastTop(extent)),
    left: Math.min(Math.max(at.left, 0), Math.max(extent.wide - extent.width + 1, 0)),
  };
}

/** How far down the view is, as less shows it: "top", "end", or a percentage. */
export function whereIn(at: Position, extent: Extent): string {
  if (extent.total <= extent.height) return 'all';
  if (at.top === 0) return 'top';
  if (at.top >= lastTop(extent)) return 'end';
  return `${Math.round((100 * (at.top + extent.height)) / extent.total)}%`;
}
