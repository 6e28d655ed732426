// Reading back what `cellblock run --explain` tells on stderr
// (src/supervisor/explain.ts writes it): for test/e2e/explain.test.mjs and
// labs/12-putting-it-together. Each step is a header line
//   [ch03 mount-namespace] pivot-root — what it does        (or: — skipped (…))
// with what it did indented under it, and the three parts of a start are
// banners: "── 1 · …", "── 2 · …", "── 3 · …".

/** The steps, in order: { part, chapter, slug, name, skipped, calls: [indented lines] }. */
export function parseExplain(text) {
  const steps = [];
  let part;
  for (const line of text.split('\n')) {
    const banner = line.match(/^── (\d) · /);
    if (banner) {
      part = Number(banner[1]);
      continue;
    }
    const header = line.match(/^\[ch(\d\d)(?: ([\w-]+))?\] ([\w-]+) — (skipped \()?/);
    if (header) {
      steps.push({ part, chapter: Number(header[1]), slug: header[2], name: header[3], skipped: Boolean(header[4]), calls: [] });
    } else if (line.startsWith('  ') && steps.length > 0) {
      steps.at(-1).calls.push(line.slice(2));
    }
  }
  return steps;
}
