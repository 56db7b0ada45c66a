import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { demoScenePng } from '../../src/images/index.js';
import { readJobFile, checkJobFile, JobFileError } from '../../src/batch/jobfile.js';
import { expandJobs } from '../../src/batch/expand.js';
import { renderResults } from '../../src/batch/results.js';
import { jobFileSchema } from '../../src/batch/task_options.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-art-jobfile-'));
fs.mkdirSync(path.join(dir, 'photos'));
fs.writeFileSync(path.join(dir, 'a.png'), await demoScenePng('landscape', { width: 40, height: 30 }));
fs.writeFileSync(path.join(dir, 'photos', 'p1.png'), await demoScenePng('mosaic', { width: 30, height: 30 }));
fs.writeFileSync(path.join(dir, 'photos', 'p2.png'), await demoScenePng('landscape', { width: 30, height: 20 }));
fs.writeFileSync(path.join(dir, 'photos', 'notes.txt'), 'not an image');
fs.writeFileSync(path.join(dir, 'starry.png'), await demoScenePng('mosaic', { width: 40, height: 40 }));

const write = (name: string, text: string) => {
  fs.writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
};
const style = (options: unknown) => ({ output: 'out', tasks: [{ style: { contents: ['a.png', 'photos/'], styles: ['starry.png'], options } }] });

test('JSON and YAML give the same jobs; relative paths resolve against the job file', async () => {
  const json = readJobFile(write('job.json', JSON.stringify(style({ size: 32, iterations: 5, 'content-weight': 2 }))));
  const yaml = readJobFile(write('job.yaml', 'output: out\ntasks:\n  - style:\n      contents: [a.png, photos/]\n      styles: starry.png\n      options: {size: 32, iterations: 5, contentWeight: 2}\n'));
  assert.equal(json.output, path.join(dir, 'out'));
  const a = await expandJobs(json);
  const b = await expandJobs(yaml);
  assert.deepEqual(a, b);
  // a.png and the two images of photos/ (notes.txt ignored) by one style, in a stable order.
  assert.equal(a.jobs.length, 3);
  assert.deepEqual(a.layout[0].rows, ['a.png', 'p1.png', 'p2.png']);
  for (const j of a.jobs) {
    assert.ok(j.output.startsWith(path.join(dir, 'out', 'style') + path.sep));
    assert.match(path.basename(j.output), /^\w+__starry\.[0-9a-f]{12}\.png$/);
  }
  assert.equal(a.jobs[0].options.contentWeight, 2);
});

test('output names depend on the pixels and the options, not on how they are spelled', async () => {
  const base = (await expandJobs(checkJobFile(style({ size: 32 }), dir))).jobs;
  const same = (await expandJobs(checkJobFile(style({ size: 32, iterations: 500, tvWeight: 0 }), dir))).jobs; // defaults written out
  assert.deepEqual(same.map((j) => j.output), base.map((j) => j.output));
  const other = (await expandJobs(checkJobFile(style({ size: 32, seed: 1 }), dir))).jobs;
  for (let i = 0; i < base.length; i++) assert.notEqual(other[i].output, base[i].output);
  // The same picture listed twice is one job.
  const dup = checkJobFile({ output: 'out', tasks: [{ style: { contents: ['a.png', 'a.png'], styles: ['starry.png'] } }] }, dir);
  assert.equal((await expandJobs(dup)).jobs.length, 1);
});

test('a malformed job file is refused with the entry and field named', async () => {
  const cases: [unknown, RegExp][] = [
    [style({ size: 8 }), /^tasks\[0\]\.style\.options\.size: must be a whole number ≥ 16, got 8$/],
    [style({ size: 'big' }), /^tasks\[0\]\.style\.options\.size: must be a whole number ≥ 16, got 'big'$/],
    [style({ optimizer: 'sgd' }), /^tasks\[0\]\.style\.options\.optimizer: must be one of lbfgs, adam, got 'sgd'$/],
    [style({ 'style-layers': 'conv9_1' }), /^tasks\[0\]\.style\.options\.style-layers: unknown VGG-19 layer 'conv9_1'/],
    [style({ stlye_weight: 3 }), /^tasks\[0\]\.style\.options\.stlye_weight: unknown option for style/],
    [style({ threads: 2 }), /^tasks\[0\]\.style\.options\.threads: not a task option/],
    [{ output: 'out', tasks: [{ style: { contents: ['missing.png'], styles: ['starry.png'] } }] }, /^tasks\[0\]\.style\.contents\[0\]: missing\.png: no such file or folder$/],
    [{ output: 'out', tasks: [{ style: { contents: ['a.png'] } }] }, /^tasks\[0\]\.style\.styles: must be a non-empty list/],
    [{ output: 'out', tasks: [{ paint: {} }] }, /^tasks\[0\]: must have exactly one of style, translate, fast; got paint$/],
    [{ output: 'out', tasks: [{ translate: { inputs: ['a.png'], model: 'nets/x.pth' } }] }, /^tasks\[0\]\.translate\.model: nets\/x\.pth: no such file$/],
    [{ output: 'out', tasks: [{ translate: { inputs: ['a.png'], model: 'horse2zebra', options: { norm: 'group' } } }] }, /^tasks\[0\]\.translate\.options\.norm: must be one of/],
    [{ output: 'out', tasks: [{ fast: { inputs: ['a.png'], model: 'candyy' } }] }, /^tasks\[0\]\.fast\.model: .*candyy/],
    [{ output: 'out', tasks: [{ fast: { inputs: ['a.png'], model: 'candy', options: { 'temporal-smoothing': 0.5 } } }] }, /^tasks\[0\]\.fast\.options\.temporal-smoothing: not a task option \(video chunks/],
    [{ output: 'out', tasks: [{ fast: { inputs: ['a.png'], model: 'candy', options: { size: 2 } } }] }, /^tasks\[0\]\.fast\.options\.size: must be a whole number ≥ 4, got 2$/],
    [{ tasks: [] }, /^output: must be a folder name$/],
    [{ output: 'out', tasks: [], extra: 1 }, /^extra: unknown field/],
  ];
  for (const [doc, re] of cases) {
    assert.throws(() => checkJobFile(doc, dir), (e: Error) => e instanceof JobFileError && re.test(e.message), `${JSON.stringify(doc)}`);
  }
  assert.throws(() => readJobFile(write('bad.json', '{"output": "out", tasks: []}')), /bad\.json: not valid JSON/);
  assert.throws(() => readJobFile(write('bad.yaml', 'output: [unclosed\n')), /bad\.yaml: not valid YAML/);
});

test('the results page lays a style task out contents down, styles across, with failures and their error', async () => {
  const ex = await expandJobs(checkJobFile(style({ size: 32 }), dir));
  const html = renderResults({
    title: 'batch',
    output: path.join(dir, 'out'),
    layout: ex.layout,
    jobs: ex.jobs.map((spec, i) => (i === 1 ? { spec, state: 'failed', error: 'cannot read <p1.png>' } : { spec, state: 'done' })),
  });
  const rows = html.split('<tr>').slice(2); // after the header row
  assert.equal(rows.length, 3);
  assert.match(rows[0], /a\.png[\s\S]*<img src="style\/a__starry\.[0-9a-f]{12}\.png"/);
  assert.match(rows[1], /p1\.png[\s\S]*class="failed"[\s\S]*cannot read &lt;p1\.png&gt;/);
  assert.match(html, /1 done|2 done/);
});

test("the job file's JSON Schema is built from the commands' option schemas", () => {
  type S = { properties: Record<string, S>; items: S; anyOf: S[]; minimum?: number; enum?: string[] };
  const s = jobFileSchema() as unknown as S;
  const [styleTask, translateTask] = s.properties.tasks.items.anyOf;
  const styleOpts = styleTask.properties.style.properties.options.properties;
  assert.equal(styleOpts.size.minimum, 16);
  assert.ok(!('threads' in styleOpts) && !('output' in styleOpts));
  assert.deepEqual(translateTask.properties.translate.properties.options.properties.norm.enum, ['instance', 'batch', 'none']);
});
