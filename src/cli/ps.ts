// cellblock ps — list containers, as `docker ps` does: running ones by
// default, filters, and --format templates over docker's fields.
import { listRecords, shortId, type ContainerRecord } from '../runtime/records.js';
import { ago, formatList, parseListFormat } from './format.js';
import { imageOf, mountsOf, type ImageView } from './container-view.js';
import { portsColumn } from '../network/ports.js';

export interface PsOptions {
  all?: boolean;
  quiet?: boolean;
  format?: string;
  trunc: boolean;
  last?: number;
  latest?: boolean;
  filter: string[];
}

const DEFAULT_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

export function ps(options: PsOptions): void {
  // Everything the user typed is checked before anything is listed.
  const matches = parseFilters(options.filter);
  const format = parseListFormat(options.quiet ? '{{.ID}}' : options.format, DEFAULT_TABLE);
  if (options.quiet && options.format !== undefined) process.stderr.write('cellblock: warning: ignoring --format, because --quiet is set\n');

  const limit = options.latest ? 1 : options.last ?? -1;
  // -n and -l look at every container, and so does a status filter: `ps -f status=exited` needs no -a.
  const all = options.all || limit > 0 || options.filter.some((f) => f.startsWith('status='));
  let records = listRecords().filter((r) => (all || r.status === 'running') && matches(r));
  if (limit > 0) records = records.slice(0, limit); // newest first

  const images = new Map<string, ImageView>(); // each image read once, and only if a field asks
  const labelsOf = (r: ContainerRecord) => {
    const key = r.imageManifest ?? '';
    if (!images.has(key)) images.set(key, imageOf(r));
    return images.get(key)!.labels;
  };
  process.stdout.write(formatList(format, records.map((r) => row(r, () => labelsOf(r), options.trunc)), HEADER));
}

/**
 * One container as docker's formatter shows it. Fields are methods, so only
 * what the template uses is computed; their order is the key order of
 * `--format json`, docker's (alphabetical).
 */
function row(r: ContainerRecord, labels: () => Record<string, string>, trunc: boolean) {
  return {
    Command: () => JSON.stringify(trunc ? ellipsis(r.command.join(' '), 20) : r.command.join(' ')),
    CreatedAt: () => goTime(new Date(r.created)),
    ID: () => (trunc ? shortId(r.id) : r.id),
    Image: () => r.image ?? r.rootfs,
    Label: (name: string) => labels()[name] ?? '',
    Labels: () => Object.entries(labels()).map(([key, value]) => `${key}=${value}`).join(','),
    LocalVolumes: () => String(mountsOf(r).filter((m) => m.Type === 'volume').length),
    // A volume by its name, anything else by its source (a tmpfs has none).
    Mounts: () => mountsOf(r).map((m) => (trunc ? ellipsis(m.Name || m.Source, 15) : m.Name || m.Source)).join(','),
    Names: () => r.name,
    // As docker: the ports bound now, so none while it is not running.
    Ports: () => (r.status === 'running' ? portsColumn(r.spec.network?.ports ?? []) : ''),
    RunningFor: () => `${ago(r.created)} ago`,
    State: () => r.status,
    Status: () => describeStatus(r),
  };
}

/** The same fields, holding their column titles: the table's header row. */
const HEADER: Record<keyof ReturnType<typeof row>, unknown> = {
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  // {{.Label "com.example.tier"}} is titled "tier" (docker: the last dotted part, - and _ as spaces).
  Label: (name: string) => name.split('.').at(-1)!.replace(/[-_]/g, ' '),
  Labels: 'LABELS',
  LocalVolumes: 'LOCAL VOLUMES',
  Mounts: 'MOUNTS',
  Names: 'NAMES',
  Ports: 'PORTS',
  RunningFor: 'CREATED',
  State: 'STATE',
  Status: 'STATUS',
};

/** docker's Ellipsis: at most MAX characters, the last one "…" when cut. */
function ellipsis(text: string, max: number): string {
  const characters = [...text];
  return characters.length > max ? `${characters.slice(0, max - 1).join('')}…` : text;
}

function describeStatus(record: ContainerRecord): string {
  if (record.status === 'running') return `Up ${ago(record.startedAt ?? record.created)}`;
  if (record.status === 'created') return 'Created';
  const code = record.exitCode === undefined ? '' : ` (${record.exitCode})`;
  return record.finishedAt ? `Exited${code} ${ago(record.finishedAt)} ago` : `Exited${code}`;
}

/** Go's time.Time String() in local time, as docker prints CreatedAt: "2024-05-01 10:00:00 +0200 CEST". */
function goTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const offset = -date.getTimezoneOffset();
  const zone = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(date).find((p) => p.type === 'timeZoneName')?.value ?? '';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} `
    + `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)} ${zone === 'GMT' && offset === 0 ? 'UTC' : zone}`;
}

const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

/**
 * -f KEY=VALUE, docker's rules: values of one key are alternatives (any may
 * match), different keys must all match. name= is a regular expression
 * (unanchored, as docker's), id= a prefix of the id.
 */
function parseFilters(filters: string[]): (record: ContainerRecord) => boolean {
  const byKey = new Map<string, ((r: ContainerRecord) => boolean)[]>();
  for (const filter of filters) {
    const eq = filter.indexOf('=');
    if (eq <= 0) throw new Error(`bad format of filter "${filter}" (expected name=value)`);
    const [key, value] = [filter.slice(0, eq), filter.slice(eq + 1)];
    let test: (r: ContainerRecord) => boolean;
    if (key === 'status') {
      if (!STATUSES.includes(value)) throw new Error(`invalid filter "${filter}": status is one of ${STATUSES.join(', ')}`);
      test = (r) => r.status === value;
    } else if (key === 'name') {
      let pattern: RegExp;
      try {
        pattern = new RegExp(value);
      } catch {
        throw new Error(`invalid filter "${filter}": not a regular expression`);
      }
      // docker stores names as "/web" and accepts a pattern for either spelling.
      test = (r) => pattern.test(r.name) || pattern.test(`/${r.name}`);
    } else if (key === 'id') {
      test = (r) => r.id.startsWith(value);
    } else {
      throw new Error(`invalid filter "${key}": the filters here are status, name and id`);
    }
    byKey.set(key, [...(byKey.get(key) ?? []), test]);
  }
  return (record) => [...byKey.values()].every((tests) => tests.some((test) => test(record)));
}
