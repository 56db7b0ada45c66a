/** `ai-art fast stylize`: fast (feed-forward) style transfer; flag names as pytorch/examples' eval. */
import { VALUE_RANGES } from '../../fast/value_range.js';
import { defineCommand, type OptionsOf } from '../command.js';
import { OptionError } from '../errors.js';
import { opt, options } from '../schema.js';

const G = { model: 'model', size: 'size', video: 'video', perf: 'performance' };

export const fastStylizeCommand = defineCommand({
  name: 'fast stylize',
  summary: 'Stylise pictures, folders and videos with a feed-forward style network (Johnson et al. 2016).',
  usage: 'ai-art fast stylize INPUT... --model NAME|FILE.pth|FILE.onnx -o OUT',
  description:
    'Runs pytorch/examples\' TransformerNet (hub names mosaic, candy, rain_princess, udnie; .pth/.model checkpoints) or any ONNX model with one NCHW image input and one image output (the ONNX zoo\'s mosaic-9, candy-9, rain-princess-9, udnie-9, pointilism-9). Pictures keep their size. Video needs Debian\'s ffmpeg; audio, frame rate and frame count are kept; Ctrl-C leaves nothing at the output path (exit code 130).',
  positionals: [{ name: 'INPUT...', help: 'pictures, folders (their pictures and videos) and video files', variadic: true }],
  options: options({
    model: opt.string({ required: true, aliases: ['m'], path: 'model', group: G.model, help: 'hub name, a TransformerNet .pth/.model, or an .onnx' }),
    output: opt.string({ required: true, aliases: ['o', 'output-image'], path: 'output', metavar: 'OUT', group: G.model, help: 'output file (one input) or folder' }),
    valueRange: opt.choice(VALUE_RANGES, { group: G.model, help: "ONNX models: values they take and give, 0-255 (the ONNX zoo's; default) or 0-1" }),
    contentScale: opt.number({ exclusiveMinimum: 0, group: G.size, help: 'divide width and height by this first (as pytorch/examples)' }),
    size: opt.int({ minimum: 4, group: G.size, help: 'resize so the longest side is N pixels' }),
    batch: opt.int({ default: 4, minimum: 1, group: G.video, help: 'video frames per network call' }),
    temporalSmoothing: opt.number({ default: 0, minimum: 0, maximum: 0.99, group: G.video, help: 'blend still regions with the previous output, strength in [0, 1) (0: off)' }),
    crf: opt.int({ minimum: 0, maximum: 63, group: G.video, advanced: true, help: 'x264/VP9 quality, lower is better (default 18 / 31)' }),
    ffmpeg: opt.string({ path: 'file', metavar: 'PATH', group: G.video, advanced: true, help: 'ffmpeg binary (default: ffmpeg on PATH)' }),
    ffprobe: opt.string({ path: 'file', metavar: 'PATH', group: G.video, advanced: true, help: 'ffprobe binary (default: beside --ffmpeg, else on PATH)' }),
    threads: opt.int({ minimum: 1, group: G.perf, advanced: true, help: 'compute threads (default: all cores)' }),
  }),
  cliFlags: ['json', 'quiet'],
  groups: Object.values(G),
  check(o) {
    if (o.contentScale !== undefined && o.size !== undefined) throw new OptionError('--content-scale and --size both set the size: give one', 'size');
  },
});

export type FastStylizeOptions = OptionsOf<typeof fastStylizeCommand>;
