#!/usr/bin/env node
// The course's diagrams, drawn from the descriptions below into
// chapters/diagrams/NAME.svg. Each has a text alternative beside it,
// chapters/diagrams/NAME.txt (box drawing, at most 80 columns), which the
// terminal app of `cellblock learn` shows instead of the picture, and which
// says the same things: change one, change the other.
//
//   node scripts/diagrams.mjs           write every SVG
//   node scripts/diagrams.mjs --check   exit 1 naming each SVG that differs from what this draws
//
// Plain SVG written by hand, no library: boxes, arrows and text at fixed
// coordinates, so a diff of a drawing reads like a diff of its description.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DIAGRAMS_DIR = fileURLToPath(new URL('../chapters/diagrams', import.meta.url));

// Fill and stroke of each kind of box: one colour per meaning, the same in every diagram.
const KINDS = {
  node: { fill: '#e8f5e9', stroke: '#2e7d32' }, // a Node.js process running cellblock's TypeScript
  c: { fill: '#e3f2fd', stroke: '#1565c0' }, // util-linux, C
  payload: { fill: '#fff3e0', stroke: '#e65100' }, // what the user asked to run
  ns: { fill: '#f3e5f5', stroke: '#6a1b9a' }, // a namespace
  userns: { fill: '#fbf8fc', stroke: '#4a148c' },
  host: { fill: '#ffffff', stroke: '#757575' },
  merged: { fill: '#e8f5e9', stroke: '#2e7d32' },
  upper: { fill: '#fff8e1', stroke: '#f9a825' },
  lower: { fill: '#eceff1', stroke: '#546e7a' },
  work: { fill: '#fafafa', stroke: '#9e9e9e' },
  row: { fill: '#f7f7f7', stroke: 'none' },
};
const INK = '#212121';
const SOFT = '#555555';
const SANS = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const MONO = 'DejaVu Sans Mono, Menlo, Consolas, monospace';
const LINE = 17; // baseline to baseline, 13px text

const escape = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A line of text: a string, or runs of strings and { mono } / { bold } parts. */
function runs(line) {
  const parts = Array.isArray(line) ? line : [line];
  return parts.map((part) => {
    if (typeof part === 'string') return escape(part);
    if (part.mono !== undefined) return `<tspan font-family="${MONO}">${escape(part.mono)}</tspan>`;
    return `<tspan font-weight="bold">${escape(part.bold)}</tspan>`;
  }).join('');
}

export function text(x, y, line, { size = 13, anchor = 'start', color = INK, mono = false, bold = false, italic = false, rotate } = {}) {
  const attributes = [
    `x="${x}"`, `y="${y}"`, `font-size="${size}"`, `fill="${color}"`,
    anchor !== 'start' && `text-anchor="${anchor}"`,
    mono && `font-family="${MONO}"`,
    bold && 'font-weight="bold"',
    italic && 'font-style="italic"',
    rotate !== undefined && `transform="rotate(${rotate} ${x} ${y})"`,
  ].filter(Boolean);
  return `<text ${attributes.join(' ')}>${runs(line)}</text>`;
}

/** A box with a bold title and lines under it; BADGE is a tag in its top right corner. */
export function box({ x, y, w, h, kind, title, lines = [], badge, dashed = false, center = false }) {
  const { fill, stroke } = KINDS[kind];
  const out = [`<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="8" fill="${fill}" stroke="${stroke}" stroke-width="1.5"${dashed ? ' stroke-dasharray="6 4"' : ''}/>`];
  const left = center ? x + w / 2 : x + 12;
  const anchor = center ? 'middle' : 'start';
  let baseline = y + 22;
  if (title !== undefined) {
    out.push(text(left, baseline, title, { size: 14, bold: true, anchor }));
    baseline += LINE + 2;
  }
  for (const line of lines) {
    out.push(text(left, baseline, line, { anchor }));
    baseline += LINE;
  }
  if (badge) out.push(text(x + w - 10, y + 20, badge, { size: 11, anchor: 'end', color: stroke, bold: true }));
  return out.join('\n');
}

/** A frame around other things: a dashed outline with a label on its top edge. */
export function frame({ x, y, w, h, kind, label, lines = [] }) {
  const { fill, stroke } = KINDS[kind];
  const out = [`<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="12" fill="${fill}" stroke="${stroke}" stroke-width="1.5" stroke-dasharray="8 5"/>`];
  out.push(text(x + 14, y + 24, label, { size: 15, bold: true, color: stroke }));
  lines.forEach((line, i) => out.push(text(x + 14, y + 24 + (i + 1) * LINE, line, { color: SOFT })));
  return out.join('\n');
}

/** A polyline through POINTS with an arrowhead at its end (and its start, with both). */
export function arrow(points, { dashed = false, both = false, color = '#37474f' } = {}) {
  const path = points.map(([x, y], i) => `${i ? 'L' : 'M'}${x} ${y}`).join(' ');
  const marker = color === '#37474f' ? 'head' : 'head-soft';
  return `<path d="${path}" fill="none" stroke="${color}" stroke-width="1.6"${dashed ? ' stroke-dasharray="5 4"' : ''} marker-end="url(#${marker})"${both ? ` marker-start="url(#${marker}-start)"` : ''}/>`;
}

/** A line without an arrowhead. */
export function line(points, { color = '#9e9e9e', dashed = false } = {}) {
  const path = points.map(([x, y], i) => `${i ? 'L' : 'M'}${x} ${y}`).join(' ');
  return `<path d="${path}" fill="none" stroke="${color}" stroke-width="1.4"${dashed ? ' stroke-dasharray="5 4"' : ''}/>`;
}

/** A numbered disc: which of the three steps a box is. */
export function step(x, y, n) {
  return `<circle cx="${x}" cy="${y}" r="12" fill="#37474f"/>\n${text(x, y + 5, String(n), { size: 13, bold: true, anchor: 'middle', color: '#ffffff' })}`;
}

/** A legend entry: a small swatch of KIND and its meaning. */
export function swatch(x, y, kind, meaning) {
  const { fill, stroke } = KINDS[kind];
  return `<rect x="${x}" y="${y - 11}" width="22" height="14" rx="3" fill="${fill}" stroke="${stroke}" stroke-width="1.5"/>\n${text(x + 30, y, meaning, { size: 12, color: SOFT })}`;
}

/** The whole picture: a white page (readable on a dark theme too), its title and description for screen readers. */
export function render({ title, description, width, height, body }) {
  const arrowHead = (id, color, orient) =>
    `<marker id="${id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="${orient}"><path d="M0 0 L10 5 L0 10 z" fill="${color}"/></marker>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="title desc" font-family="${SANS}">`,
    `<title id="title">${escape(title)}</title>`,
    `<desc id="desc">${escape(description)}</desc>`,
    '<defs>',
    arrowHead('head', '#37474f', 'auto'),
    arrowHead('head-start', '#37474f', 'auto-start-reverse'),
    arrowHead('head-soft', '#6a1b9a', 'auto'),
    arrowHead('head-soft-start', '#6a1b9a', 'auto-start-reverse'),
    '</defs>',
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...body.flat(),
    '</svg>',
    '',
  ].join('\n');
}

// ─── The three-step spawn (chapters 01, 02, 09, 12) ────────────────────────
const spawn = {
  title: 'The three-step spawn of cellblock run -it debian bash',
  description:
    'From top to bottom: you type cellblock run -it debian bash. The CLI (Node) spawns the supervisor (Node, one per container) ' +
    'before it parses its command line. The supervisor spawns setpriv, which execs unshare (util-linux, C): step 1, new ' +
    'user, mount, pid, uts, ipc and net namespaces, because Node has threads and cannot. unshare forks the init (Node), ' +
    'pid 1 of the new pid namespace: step 3, it says ready on fd 3, the supervisor writes its id maps (step 2) and sends ' +
    'go with the spec, the init runs its pipeline and execs bash, which keeps pid 1.',
  width: 840,
  height: 800,
  body: [
    text(40, 36, ['you, at a terminal:  ', { mono: 'cellblock run -it debian bash' }], { size: 14 }),
    arrow([[130, 46], [130, 78]]),

    box({ x: 40, y: 80, w: 340, h: 64, kind: 'node', title: 'cellblock, the CLI', lines: [{ mono: 'dist/cli/main.js' }], badge: 'Node' }),
    text(410, 100, 'parses the flags, pulls the image (chapter 08),'),
    text(410, 117, 'writes the container\'s record; then relays your'),
    text(410, 134, 'terminal to the supervisor, over a socket'),
    arrow([[130, 144], [130, 200]]),
    text(142, 177, 'spawn, before it even parses the command line', { size: 12, color: SOFT, italic: true }),

    box({ x: 40, y: 202, w: 340, h: 64, kind: 'node', title: 'the supervisor', lines: [{ mono: 'dist/supervisor/main.js' }], badge: 'Node' }),
    step(392, 222, 2),
    text(410, 218, 'one per container, in a session of its own (09):'),
    text(410, 235, 'its stdio, its log, its exit status. Step 2: writes'),
    text(410, 252, ['the id maps (', { mono: 'newuidmap' }, ', ', { mono: 'newgidmap' }, ', 02)']),
    arrow([[130, 266], [130, 322]]),
    text(142, 299, 'spawn', { size: 12, color: SOFT, italic: true }),

    box({ x: 40, y: 324, w: 340, h: 150, kind: 'c', badge: 'util-linux (C)', lines: [] }),
    text(52, 348, { mono: 'setpriv --pdeathsig KILL' }),
    arrow([[70, 356], [70, 384]]),
    text(82, 375, 'exec: the same process', { size: 12, color: SOFT, italic: true }),
    text(52, 404, { mono: 'unshare --user --keep-caps' }),
    text(68, 421, { mono: '--mount --pid --fork --kill-child' }),
    text(68, 438, { mono: '--uts --ipc --net' }),
    text(52, 460, 'its parent dies → it dies (SIGKILL)', { size: 12, color: SOFT }),
    step(392, 344, 1),
    text(410, 340, 'Step 1: the new namespaces. Node cannot'),
    text(410, 357, ['call ', { mono: 'unshare(2)' }, ' for a user namespace: it']),
    text(410, 374, 'has threads (V8, libuv), and a forked Node'),
    text(410, 391, 'has no heap. A small C program can (02).'),
    arrow([[130, 474], [130, 530]]),
    text(142, 507, 'fork: the first child of a new pid namespace is its pid 1 (04)', { size: 12, color: SOFT, italic: true }),

    box({ x: 40, y: 532, w: 340, h: 64, kind: 'node', title: 'the init, pid 1 inside', lines: [{ mono: 'dist/init/main.js' }], badge: 'Node' }),
    step(392, 552, 3),
    text(410, 548, 'Step 3, inside: says "ready", waits for "go" and'),
    text(410, 565, 'the spec, then runs the pipeline: mounts (03, 07),'),
    text(410, 582, 'pivot_root, hostname, user, security (11)…'),
    arrow([[130, 596], [130, 652]]),
    text(142, 629, 'execve: the same pid and namespaces, a new program (01)', { size: 12, color: SOFT, italic: true }),

    box({ x: 40, y: 654, w: 340, h: 56, kind: 'payload', title: 'bash, the payload: pid 1', lines: ['the container is this process'] }),
    text(410, 678, 'what you asked for; when it exits, the container'),
    text(410, 695, 'has ended, and cellblock exits with its status'),

    // The sync pipe, fd 3 of the init: from the supervisor down the left margin.
    line([[40, 244], [22, 244], [22, 564]], { color: '#6a1b9a', dashed: true }),
    arrow([[22, 564], [38, 564]], { color: '#6a1b9a' }),
    text(14, 404, 'fd 3, the sync pipe: ready · go + spec · exec', { size: 11, color: '#6a1b9a', anchor: 'middle', rotate: -90 }),

    swatch(40, 752, 'node', 'Node.js: cellblock\'s TypeScript'),
    swatch(300, 752, 'c', 'util-linux (C)'),
    swatch(460, 752, 'payload', 'the payload'),
    line([[610, 748], [640, 748]], { color: '#6a1b9a', dashed: true }),
    text(648, 752, 'the sync pipe (fd 3)', { size: 12, color: SOFT }),
    text(40, 782, 'Arrows: spawn and fork make a new process; exec and execve keep the process and its pid.', { size: 12, color: SOFT }),
  ],
};

// ─── A process and its namespaces (chapters 02, 12) ────────────────────────
const namespaceBox = (x, y, title, lines) => box({ x, y, w: 220, h: 84, kind: 'ns', title, lines });
const namespaces = {
  title: 'A process and its namespaces',
  description:
    'The host\'s namespaces, where you are cbtest (uid 1001), hold a user namespace whose uid_map makes root inside you ' +
    'outside. It owns the mount namespace (/ is the overlay, its own /proc, /dev and /sys), the pid namespace (bash is pid 1 ' +
    'and sees only the container\'s processes), the uts namespace (its own hostname), the ipc namespace (System V IPC and ' +
    '/dev/mqueue), the net namespace (lo, and eth0 fed by pasta) and the cgroup namespace (its own cgroup as its root, ' +
    'with delegated cgroup v2). All six surround one process, bash.',
  width: 840,
  height: 600,
  body: [
    frame({ x: 10, y: 10, w: 820, h: 580, kind: 'host', label: 'the host\'s namespaces', lines: ['where you are cbtest, uid 1001, and root is the machine\'s root'] }),
    frame({
      x: 30, y: 70, w: 780, h: 470, kind: 'userns', label: 'user namespace (02)',
      lines: [['uid_map ', { mono: '0 1001 1' }, ': root inside is you outside. It owns every namespace below: its']],
    }),
    text(44, 128, 'capabilities work on them, and on nothing of the host\'s.', { color: SOFT }),

    namespaceBox(50, 150, 'mount (03)', ['/ is the overlay; its own', '/proc, /dev and /sys']),
    namespaceBox(310, 150, 'pid (04)', ['bash is pid 1, and sees', 'only the container\'s pids']),
    namespaceBox(570, 150, 'uts (05)', ['its own hostname: the', 'container\'s short id']),
    namespaceBox(50, 430, 'ipc (05)', ['its own System V IPC,', { mono: '/dev/mqueue' }]),
    namespaceBox(310, 430, 'net (10)', [['lo', ', and ', { mono: 'eth0' }, ': a tap'], 'device fed by pasta']),
    namespaceBox(570, 430, 'cgroup (06)', ['its own cgroup as its /', '(with delegated cgroup v2)']),

    line([[160, 234], [160, 262], [330, 262], [330, 290]], { color: '#6a1b9a' }),
    line([[420, 234], [420, 290]], { color: '#6a1b9a' }),
    line([[680, 234], [680, 262], [510, 262], [510, 290]], { color: '#6a1b9a' }),
    line([[160, 430], [160, 402], [330, 402], [330, 374]], { color: '#6a1b9a' }),
    line([[420, 430], [420, 374]], { color: '#6a1b9a' }),
    line([[680, 430], [680, 402], [510, 402], [510, 374]], { color: '#6a1b9a' }),
    box({ x: 300, y: 290, w: 240, h: 84, kind: 'payload', title: 'the process: bash', lines: ['pid 1 inside, and an', 'ordinary pid on the host'], center: true }),

    text(30, 570, ['Each namespace is a number: ', { mono: 'readlink /proc/PID/ns/*' }, ' or ', { mono: 'lsns -p PID' }, '. Same number, same namespace.'], { size: 12, color: SOFT }),
  ],
};

// ─── The overlay stack (chapters 07, 12) ───────────────────────────────────
const COLUMNS = [190, 350, 510, 670]; // a, b, c, dir/
const CELL = 150;
const cell = (column, y, h, kind, title, lines = []) => box({ x: COLUMNS[column], y, w: CELL, h, kind, title, lines });
const rowBand = (y, h, label, lines) => [
  `<rect x="20" y="${y - 6}" width="810" height="${h + 12}" rx="6" fill="${KINDS.row.fill}"/>`,
  text(32, y + 22, label, { size: 14, bold: true }),
  ...lines.map((l, i) => text(32, y + 22 + (i + 1) * 16, l, { size: 12, color: SOFT })),
];
const emptyCell = (column, y, h) => `<rect x="${COLUMNS[column]}" y="${y}" width="${CELL}" height="${h}" rx="8" fill="none" stroke="#cfd8dc" stroke-width="1" stroke-dasharray="3 4"/>`;
const overlay = {
  title: 'The overlay stack: lower layers, upper, work, merged',
  description:
    'Four columns, one per name (a, b, c, dir), and four rows. The bottom two rows are read-only lower directories: lower1 ' +
    'holds a, b and dir/x; lower2, listed first and so on top, holds a and c. The upper directory is writable: it holds b, ' +
    'copied up whole when it was written, a whiteout (character device 0:0) for the deleted c, and dir marked opaque with ' +
    'y in it. The merged view at the top, the container\'s root, shows a from lower2, b from upper, no c, and dir with y ' +
    'only. The work directory is scratch space on the upper directory\'s filesystem, where a copy-up is prepared.',
  width: 840,
  height: 640,
  body: [
    ...['a', 'b', 'c', 'dir/'].map((name, i) => text(COLUMNS[i] + CELL / 2, 34, { mono: name }, { size: 15, bold: true, anchor: 'middle' })),

    rowBand(56, 84, 'merged', ['the container\'s /', 'what it sees']),
    cell(0, 56, 84, 'merged', { mono: 'a' }, ['lower2\'s: it is', 'on top']),
    cell(1, 56, 84, 'merged', { mono: 'b' }, ['upper\'s: the', 'written copy']),
    cell(2, 56, 84, 'merged', '(gone)', ['the whiteout', 'hides it']),
    cell(3, 56, 84, 'merged', { mono: 'dir/y' }, [['(', { mono: 'x' }, ' hidden: the'], 'dir is opaque)']),

    rowBand(170, 84, 'upperdir', ['writable, the', 'container\'s own']),
    emptyCell(0, 170, 84),
    cell(1, 170, 84, 'upper', { mono: 'b' }, ['the whole file,', 'copied up + a line']),
    cell(2, 170, 84, 'upper', { mono: 'c' }, ['whiteout: a char', 'device 0:0']),
    cell(3, 170, 84, 'upper', { mono: 'dir/' }, [['opaque (', { mono: 'user.' }], [{ mono: 'overlay.opaque' }, '),'], ['and ', { mono: 'y' }, ' in it']]),

    rowBand(284, 70, 'lowerdir: lower2', ['read-only; listed', 'first, so on top']),
    cell(0, 284, 70, 'lower', { mono: 'a' }),
    emptyCell(1, 284, 70),
    cell(2, 284, 70, 'lower', { mono: 'c' }),
    emptyCell(3, 284, 70),

    rowBand(384, 70, 'lowerdir: lower1', ['read-only', 'the bottom layer']),
    cell(0, 384, 70, 'lower', { mono: 'a' }),
    cell(1, 384, 70, 'lower', { mono: 'b' }),
    emptyCell(2, 384, 70),
    cell(3, 384, 70, 'lower', { mono: 'dir/x' }),

    // Looking down from the merged view: each name comes from the topmost directory that has it.
    arrow([[COLUMNS[0] + 130, 140], [COLUMNS[0] + 130, 282]]),
    arrow([[COLUMNS[1] + 130, 140], [COLUMNS[1] + 130, 168]]),
    arrow([[COLUMNS[2] + 130, 140], [COLUMNS[2] + 130, 168]]),
    arrow([[COLUMNS[3] + 130, 140], [COLUMNS[3] + 130, 168]]),

    box({ x: 190, y: 478, w: 630, h: 58, kind: 'work', lines: ['empty scratch space on upperdir\'s filesystem: a copy-up is built here first,', 'then renamed into upperdir, so that a change appears whole or not at all'] }),
    text(32, 500, 'workdir', { size: 14, bold: true }),
    text(32, 516, 'overlayfs\'s own', { size: 12, color: SOFT }),

    text(32, 570, { mono: 'mount -t overlay overlay -o lowerdir=lower2:lower1,upperdir=upper,workdir=work,userxattr merged' }, { size: 12 }),
    text(32, 594, 'In a container, the lower directories are the image\'s layers (layers/subids/<diff_id>, unpacked once each),', { size: 12, color: SOFT }),
    text(32, 612, 'and upper and work are its own (containers/<id>/upper and work): the layers stay as they were.', { size: 12, color: SOFT }),
  ],
};

export const DIAGRAMS = { namespaces, overlay, spawn };

/** [name, path, what this script draws, what the file holds (undefined when missing)] for each diagram. */
export function compare() {
  return Object.entries(DIAGRAMS).map(([name, diagram]) => {
    const path = join(DIAGRAMS_DIR, `${name}.svg`);
    let current;
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      current = undefined;
    }
    return { name, path, drawn: render(diagram), current };
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const stale = [];
  for (const { path, drawn, current } of compare()) {
    if (drawn === current) continue;
    if (process.argv.includes('--check')) stale.push(path);
    else writeFileSync(path, drawn);
  }
  if (stale.length) {
    console.error(`diagrams: out of date (run node scripts/diagrams.mjs): ${stale.join(', ')}`);
    process.exit(1);
  }
}
