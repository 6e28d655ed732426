// A small subset of Go's text/template: what `docker ps --format` and
// `docker inspect -f` templates use.
//
//   {{.Field}}  {{.A.B}}  {{.Method "arg"}}  {{json .}}  {{.Names | upper}}
//   {{if PIPELINE}}…{{else}}…{{end}}  {{range PIPELINE}}…{{else}}…{{end}}  {{with PIPELINE}}…{{end}}
//   {{- trims the spaces before it, -}} those after it;  {{/* a comment */}}
//
// Data is JSON-like: objects, arrays, strings, numbers, booleans, null. A
// function in an object is a method: Go reads a method with no parameters
// exactly as it reads a field ({{.Status}}), and passes the action's arguments
// to one that has parameters ({{.Label "x"}}) — so do we.
//
// Unlike Go's default for maps, a field that is not there is an error here,
// not "<no value>": a typo in --format should say so, not print blanks.
// (`index` still returns "" for a missing map key, as Go does.)
// Variables ($x := …), define/template/block and comparison of numbers are
// not supported; they are refused with a message, never ignored.

/** A template that cannot be parsed, or an action that cannot be evaluated: the message is one line for the user. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

type Operand =
  | { kind: 'dot' }
  | { kind: 'field'; path: string[]; base?: Operand }
  | { kind: 'literal'; value: string | number | boolean | null }
  | { kind: 'function'; name: string }
  | { kind: 'pipeline'; pipeline: Pipeline };
type Command = Operand[];
type Pipeline = Command[];

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'print'; pipeline: Pipeline; source: string }
  | { kind: 'if' | 'range' | 'with'; pipeline: Pipeline; source: string; body: Node[]; otherwise: Node[] };

type Block = Extract<Node, { kind: 'if' | 'range' | 'with' }>;

export interface Template {
  readonly source: string;
  readonly nodes: Node[];
}

type Value = unknown;

const FUNCTIONS: Record<string, (...args: Value[]) => Value> = {
  // docker's template functions (cli/templates/templates.go)…
  json: (value) => JSON.stringify(plain(value)) ?? 'null',
  join: (list, separator) => asList(list, 'join').map(show).join(String(separator)),
  split: (text, separator) => String(text).split(String(separator)),
  lower: (text) => show(text).toLowerCase(),
  upper: (text) => show(text).toUpperCase(),
  title: (text) => show(text).replace(/\b\w/g, (letter) => letter.toUpperCase()),
  truncate: (text, length) => show(text).slice(0, Number(length)),
  println: (...values) => `${values.map(show).join(' ')}\n`,
  // …and Go's own builtins that docker users reach for.
  index: (collection, ...keys) => keys.reduce((value, key) => indexInto(value, key), collection),
  len: (value) => (typeof value === 'string' || Array.isArray(value) ? value.length : isObject(value) ? Object.keys(value).length : fail(`len of ${typeName(value)}`)),
  not: (value) => !truthy(value),
  and: (...values) => values.find((value) => !truthy(value)) ?? values.at(-1),
  or: (...values) => values.find(truthy) ?? values.at(-1),
  eq: (a, ...others) => others.some((b) => plain(a) === plain(b)),
  ne: (a, b) => plain(a) !== plain(b),
};

const fail = (message: string): never => {
  throw new TemplateError(message);
};

// ---------------------------------------------------------------- parsing

/** Parse TEXT, or throw a TemplateError naming what is wrong with it. */
export function parseTemplate(text: string): Template {
  // Open blocks; an {{else if}} opens one more that the same {{end}} closes ("chained").
  const stack: { node: Block; inElse: boolean; chained: boolean }[] = [];
  const root: Node[] = [];
  const current = () => (stack.length === 0 ? root : stack.at(-1)!.inElse ? stack.at(-1)!.node.otherwise : stack.at(-1)!.node.body);
  const open = (kind: Block['kind'], condition: string, source: string, chained: boolean) => {
    const node: Block = { kind, pipeline: parsePipeline(condition, source), source, body: [], otherwise: [] };
    current().push(node);
    stack.push({ node, inElse: false, chained });
  };
  let position = 0;
  let trimNext = false;
  while (position < text.length) {
    const start = text.indexOf('{{', position);
    let literal = text.slice(position, start === -1 ? text.length : start);
    if (trimNext) literal = literal.trimStart();
    if (start === -1) {
      if (literal) current().push({ kind: 'text', text: literal });
      break;
    }
    const { inside, end } = actionAt(text, start);
    const trimBefore = /^-\s/.test(inside);
    trimNext = /\s-$/.test(inside);
    const content = inside.slice(trimBefore ? 1 : 0, trimNext ? -1 : undefined).trim();
    if (trimBefore) literal = literal.trimEnd();
    if (literal) current().push({ kind: 'text', text: literal });
    position = end;

    if (/^\/\*[\s\S]*\*\/$/.test(content)) continue;
    const source = `{{${content}}}`;
    const [keyword, rest] = splitKeyword(content);
    if (keyword === 'if' || keyword === 'range' || keyword === 'with') {
      open(keyword, rest, source, false);
    } else if (keyword === 'else') {
      if (stack.length === 0 || stack.at(-1)!.inElse) fail(`unexpected ${source}`);
      stack.at(-1)!.inElse = true;
      const [chainedKeyword, condition] = splitKeyword(rest);
      if (chainedKeyword === 'if' || chainedKeyword === 'with') open(chainedKeyword, condition, source, true);
      else if (rest !== '') fail(`unexpected ${source}`);
    } else if (keyword === 'end') {
      if (stack.length === 0) fail(`unexpected ${source}`);
      while (stack.pop()!.chained);
    } else if (['define', 'template', 'block', 'break', 'continue'].includes(keyword)) {
      fail(`${source}: {{${keyword}}} is not supported`);
    } else {
      current().push({ kind: 'print', pipeline: parsePipeline(content, source), source });
    }
  }
  if (stack.length > 0) fail(`${stack.at(-1)!.node.source} has no {{end}}`);
  return { source: text, nodes: root };
}

/** The action that opens at OPEN: its text between the braces, and where it ends (quotes may hold "}}"). */
function actionAt(text: string, open: number): { inside: string; end: number } {
  let i = open + 2;
  while (i < text.length) {
    const c = text[i];
    if (c === '"' || c === '`' || c === "'") {
      const close = c === '`' ? text.indexOf('`', i + 1) : closingQuote(text, i);
      if (close === -1) break;
      i = close + 1;
    } else if (text.startsWith('}}', i)) {
      return { inside: text.slice(open + 2, i), end: i + 2 };
    } else i++;
  }
  return fail(`unclosed action at "${text.slice(open, open + 20)}"`);
}

function closingQuote(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === text[open]) return i;
  }
  return -1;
}

function splitKeyword(content: string): [string, string] {
  const match = /^([a-z]+)\b\s*([\s\S]*)$/.exec(content);
  return match ? [match[1], match[2]] : ['', content];
}

type Token = { kind: 'field'; path: string[] } | { kind: 'dot' } | { kind: 'word'; text: string } | { kind: 'literal'; value: string | number } | { kind: '|' | '(' | ')' };

function tokenize(content: string, source: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s+|(\.(?:[A-Za-z_]\w*)(?:\.[A-Za-z_]\w*)*)|(\.)|("(?:[^"\\]|\\.)*"|`[^`]*`)|('(?:[^'\\]|\\.)*')|(-?\d+(?:\.\d+)?)|([A-Za-z_]\w*)|([|()])|(\$\w*)|(.)/gy;
  for (const m of content.matchAll(pattern)) {
    const [, field, dot, string, char, number, word, punctuation, variable, other] = m;
    if (field) tokens.push({ kind: 'field', path: field.slice(1).split('.') });
    else if (dot) tokens.push({ kind: 'dot' });
    else if (string) tokens.push({ kind: 'literal', value: string.startsWith('`') ? string.slice(1, -1) : (JSON.parse(string) as string) });
    else if (char) fail(`${source}: a character constant ${char} is not supported; use a "string"`);
    else if (number) tokens.push({ kind: 'literal', value: Number(number) });
    else if (word) tokens.push({ kind: 'word', text: word });
    else if (punctuation) tokens.push({ kind: punctuation as '|' | '(' | ')' });
    else if (variable) fail(`${source}: variables (${variable}) are not supported`);
    else if (other) fail(`${source}: unexpected "${other}"`);
  }
  return tokens;
}

function parsePipeline(content: string, source: string): Pipeline {
  const tokens = tokenize(content, source);
  let i = 0;
  const pipeline = (): Pipeline => {
    const commands: Pipeline = [[]];
    while (i < tokens.length && tokens[i].kind !== ')') {
      const token = tokens[i++];
      if (token.kind === '|') {
        if (commands.at(-1)!.length === 0) fail(`${source}: missing command before "|"`);
        commands.push([]);
        continue;
      }
      commands.at(-1)!.push(operand(token));
    }
    if (commands.at(-1)!.length === 0) fail(`${source}: ${commands.length > 1 ? 'missing command after "|"' : 'empty action'}`);
    return commands;
  };
  const operand = (token: Token): Operand => {
    switch (token.kind) {
      case 'dot': return { kind: 'dot' };
      case 'field': return { kind: 'field', path: token.path };
      case 'literal': return { kind: 'literal', value: token.value };
      case 'word':
        if (token.text === 'true' || token.text === 'false') return { kind: 'literal', value: token.text === 'true' };
        if (token.text === 'nil') return { kind: 'literal', value: null };
        if (!(token.text in FUNCTIONS)) fail(`${source}: function "${token.text}" not defined (known: ${Object.keys(FUNCTIONS).join(', ')})`);
        return { kind: 'function', name: token.text };
      case '(': {
        const inner = pipeline();
        if (tokens[i++]?.kind !== ')') fail(`${source}: unclosed "("`);
        // (…).Field: a field of the parenthesized value.
        const next = tokens[i];
        if (next?.kind === 'field') {
          i++;
          return { kind: 'field', path: next.path, base: { kind: 'pipeline', pipeline: inner } };
        }
        return { kind: 'pipeline', pipeline: inner };
      }
      default: return fail(`${source}: unexpected "${token.kind}"`);
    }
  };
  const parsed = pipeline();
  if (i < tokens.length) fail(`${source}: unexpected ")"`);
  return parsed;
}

// ---------------------------------------------------------------- evaluation

/** Render TEMPLATE with DATA as ".", or throw a TemplateError naming the action that failed. */
export function render(template: Template, data: Value): string {
  return renderNodes(template.nodes, data);
}

function renderNodes(nodes: Node[], dot: Value): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') {
      out += node.text;
      continue;
    }
    const value = at(node.source, () => evaluatePipeline(node.pipeline, dot));
    if (node.kind === 'print') out += show(value);
    else if (node.kind === 'if') out += renderNodes(truthy(value) ? node.body : node.otherwise, dot);
    else if (node.kind === 'with') out += truthy(value) ? renderNodes(node.body, value) : renderNodes(node.otherwise, dot);
    else {
      const items = Array.isArray(value) ? value : isObject(value) ? Object.keys(value).sort().map((key) => value[key]) : value == null ? [] : fail(`at ${node.source}: range over ${typeName(value)}`);
      out += items.length === 0 ? renderNodes(node.otherwise, dot) : items.map((item) => renderNodes(node.body, item)).join('');
    }
  }
  return out;
}

/** Run FN; a TemplateError from it gains "at {{action}}" so the user sees which action failed. */
function at<T>(source: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof TemplateError && !error.message.startsWith('at {{')) throw new TemplateError(`at ${source}: ${error.message}`);
    throw error;
  }
}

function evaluatePipeline(pipeline: Pipeline, dot: Value): Value {
  let piped: Value[] = [];
  for (const command of pipeline) piped = [evaluateCommand(command, dot, piped)];
  return piped[0];
}

/** One command: a function call, a method call, or a single value. PIPED is the previous command's result, if any. */
function evaluateCommand([head, ...rest]: Command, dot: Value, piped: Value[]): Value {
  const args = () => [...rest.map((operand) => evaluateOperand(operand, dot)), ...piped];
  if (head.kind === 'function') return FUNCTIONS[head.name](...args());
  if (head.kind === 'field') {
    const target = evaluateField(head, dot);
    if (typeof target === 'function') return call(target, head.path.at(-1)!, args());
    if (rest.length > 0 || piped.length > 0) fail(`.${head.path.join('.')} is a field, not a method: it takes no arguments`);
    return target;
  }
  if (rest.length > 0 || piped.length > 0) fail(`${describe(head)} is not a function: it takes no arguments`);
  return evaluateOperand(head, dot);
}

function evaluateOperand(operand: Operand, dot: Value): Value {
  switch (operand.kind) {
    case 'dot': return dot;
    case 'literal': return operand.value;
    case 'pipeline': return evaluatePipeline(operand.pipeline, dot);
    case 'function': return FUNCTIONS[operand.name]();
    case 'field': {
      const value = evaluateField(operand, dot);
      return typeof value === 'function' ? call(value, operand.path.at(-1)!, []) : value;
    }
  }
}

/** Follow .A.B.C from dot (or from a parenthesized value); the last step may be a method, returned uncalled. */
function evaluateField(operand: Extract<Operand, { kind: 'field' }>, dot: Value): Value {
  let value = operand.base ? evaluateOperand(operand.base, dot) : dot;
  operand.path.forEach((name, step) => {
    if (typeof value === 'function') value = call(value, operand.path[step - 1] ?? '', []);
    if (!isObject(value)) fail(`can't evaluate field ${name} in ${typeName(value)}`);
    const object = value as Record<string, Value>;
    if (!Object.hasOwn(object, name)) fail(`no field "${name}" (there are: ${Object.keys(object).join(', ')})`);
    value = object[name];
  });
  return value;
}

function call(method: Function, name: string, args: Value[]): Value {
  if (method.length !== args.length) fail(`.${name} takes ${method.length} argument${method.length === 1 ? '' : 's'}, got ${args.length}`);
  return method(...args) as Value;
}

function describe(operand: Operand): string {
  return operand.kind === 'literal' ? JSON.stringify(operand.value) : operand.kind === 'dot' ? '.' : 'a value';
}

// ---------------------------------------------------------------- values

const isObject = (value: Value): value is Record<string, Value> => typeof value === 'object' && value !== null && !Array.isArray(value);

function typeName(value: Value): string {
  return value === null || value === undefined ? 'nil' : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a map' : `a ${typeof value}`;
}

/** Go's idea of "empty": false, 0, "", nil, and empty lists and maps. */
function truthy(value: Value): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (isObject(value)) return Object.keys(value).length > 0;
  return Boolean(value);
}

/** The data as plain JSON: methods without parameters are read, methods that need arguments are left out. */
function plain(value: Value): Value {
  if (typeof value === 'function') return value.length === 0 ? plain(value()) : undefined;
  if (Array.isArray(value)) return value.map(plain);
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).flatMap(([key, field]) => (typeof field === 'function' && field.length > 0 ? [] : [[key, plain(field)]])));
}

function asList(value: Value, what: string): Value[] {
  return Array.isArray(value) ? value : fail(`${what} needs a list, got ${typeName(value)}`);
}

/** `index`: a list by number, a map by key; a missing key gives "" (Go's zero value), a list index out of range is an error. */
function indexInto(collection: Value, key: Value): Value {
  if (Array.isArray(collection)) {
    if (typeof key !== 'number' || !Number.isInteger(key) || key < 0 || key >= collection.length) fail(`index ${String(key)} out of range (length ${collection.length})`);
    return collection[key as number];
  }
  if (isObject(collection)) return Object.hasOwn(collection, String(key)) ? collection[String(key)] : '';
  return fail(`can't index ${typeName(collection)}`);
}

/** How Go's fmt prints a value: lists as [a b], maps as map[k:v] in key order, nil as <nil>. */
function show(value: Value): string {
  const data = plain(value);
  if (data === null || data === undefined) return '<nil>';
  if (Array.isArray(data)) return `[${data.map(show).join(' ')}]`;
  if (isObject(data)) return `map[${Object.keys(data).sort().map((key) => `${key}:${show(data[key])}`).join(' ')}]`;
  return String(data);
}
