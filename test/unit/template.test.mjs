// Unit tests of the Go-template subset behind ps --format and inspect -f.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TemplateError, parseTemplate, render } from '../../dist/cli/template.js';

const t = (text, data) => render(parseTemplate(text), data);
const container = {
  Id: 'abc123',
  Name: '/web',
  State: { Status: 'running', Running: true, Pid: 42, ExitCode: 0 },
  Args: ['-c', 'sleep 1'],
  Config: { Labels: { 'com.example.tier': 'front' }, Env: [], Entrypoint: null },
  Mounts: [{ Source: '/a', Destination: '/x' }, { Source: '/b', Destination: '/y' }],
};

test('fields, nested fields, text around them', () => {
  assert.equal(t('id={{.Id}} pid={{.State.Pid}} {{ .State.Running }}', container), 'id=abc123 pid=42 true');
  assert.equal(t('no actions at all', container), 'no actions at all');
  assert.equal(t('{{.}}', 'plain'), 'plain');
});

test("values print as Go's fmt prints them", () => {
  assert.equal(t('{{.Args}}', container), '[-c sleep 1]');
  assert.equal(t('{{.Config.Labels}}', container), 'map[com.example.tier:front]');
  assert.equal(t('{{.Config.Entrypoint}}', container), '<nil>');
  assert.equal(t('{{.Config.Env}}', container), '[]');
});

test('methods: niladic ones read like fields, others take the arguments', () => {
  const row = { Names: () => 'web', Label: (key) => ({ tier: 'front' })[key] ?? '' };
  assert.equal(t('{{.Names}} {{.Label "tier"}} [{{.Label "none"}}]', row), 'web front []');
  assert.throws(() => t('{{.Label}}', row), /takes 1 argument, got 0/);
  assert.throws(() => t('{{.Names "x"}}', row), /takes 0 arguments, got 1/);
});

test('json, join, upper and pipelines', () => {
  assert.equal(t('{{json .State}}', container), '{"Status":"running","Running":true,"Pid":42,"ExitCode":0}');
  assert.equal(t('{{json .Config.Entrypoint}}', container), 'null');
  assert.equal(t('{{join .Args ","}}', container), '-c,sleep 1');
  assert.equal(t('{{.Name | upper}}', container), '/WEB');
  assert.equal(t('{{index .Config.Labels "com.example.tier"}}|{{index .Config.Labels "missing"}}|{{index .Args 1}}', container), 'front||sleep 1');
  assert.equal(t('{{len .Mounts}} {{(index .Mounts 1).Source}}', container), '2 /b');
  // json of methods: niladic ones are read, ones that need arguments are left out (docker's {{json .}} on a ps row).
  assert.equal(t('{{json .}}', { ID: () => 'x', Label: (k) => k, State: 'exited' }), '{"ID":"x","State":"exited"}');
});

test('if / else if / else, with, range with else', () => {
  assert.equal(t('{{if .State.Running}}up{{else}}down{{end}}', container), 'up');
  assert.equal(t('{{if eq .State.Status "exited"}}x{{else if .State.Running}}r{{else}}?{{end}}', container), 'r');
  assert.equal(t('{{if not .Config.Env}}no env{{end}}', container), 'no env');
  assert.equal(t('{{with .State}}{{.Pid}}{{end}}', container), '42');
  assert.equal(t('{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}', container), '/a:/x /b:/y ');
  assert.equal(t('{{range .Config.Env}}{{.}}{{else}}empty{{end}}', container), 'empty');
  assert.equal(t('{{range .Config.Labels}}{{.}}{{end}}', container), 'front');
});

test('{{- and -}} trim spaces; comments print nothing; quotes may hold braces', () => {
  assert.equal(t('a  {{- .Id -}}  b', container), 'aabc123b');
  assert.equal(t('{{/* why */}}x', container), 'x');
  assert.equal(t('{{"}}"}}{{`{{`}}', container), '}}{{');
});

test('a field that is not there is an error naming the action and the fields there are', () => {
  assert.throws(() => t('{{.Nope}}', container), (error) => {
    assert.ok(error instanceof TemplateError);
    assert.match(error.message, /^at \{\{\.Nope\}\}: no field "Nope" \(there are: Id, Name, State, Args, Config, Mounts\)$/);
    return true;
  });
  assert.throws(() => t('{{if .State.Running}}{{.State.Nope}}{{end}}', container), /^TemplateError: at \{\{\.State\.Nope\}\}: no field "Nope"/);
  assert.throws(() => t('{{.Id.Length}}', container), /can't evaluate field Length in a string/);
  assert.throws(() => t('{{index .Args 5}}', container), /index 5 out of range/);
});

test('templates that cannot be parsed are refused whole, with one line', () => {
  for (const [text, pattern] of [
    ['{{.Id', /unclosed action/],
    ['{{if .Id}}x', /\{\{if \.Id\}\} has no \{\{end\}\}/],
    ['{{end}}', /unexpected \{\{end\}\}/],
    ['{{else}}', /unexpected \{\{else\}\}/],
    ['{{nosuch .Id}}', /function "nosuch" not defined/],
    ['{{$x := .Id}}', /variables \(\$x\) are not supported/],
    ['{{template "x"}}', /\{\{template\}\} is not supported/],
    ['{{}}', /empty action/],
    ['{{.Id |}}', /missing command after "\|"/],
    ['{{(.Id}}', /unclosed "\("/],
    ['{{.Id)}}', /unexpected "\)"/],
    ['{{"x" .Id}}', /"x" is not a function/],
  ]) {
    assert.throws(() => t(text, container), (error) => error instanceof TemplateError && pattern.test(error.message) && !error.message.includes('\n'), text);
  }
});
