/** `fast stylize` options in one place (to move to the project's option schemas, issue #11). */
import type { ValueRange } from './model.js';

export interface FastStylizeOptions {
  /** Hub name (mosaic, candy, rain_princess, udnie, mosaic-9, ...), TransformerNet .pth/.model, or .onnx. */
  model: string;
  /** Output file (one input) or folder. */
  output: string;
  /** pytorch/examples' --content-scale: width and height divided by this. */
  contentScale?: number;
  /** Longest side of the output in pixels. */
  size?: number;
  threads?: number;
  /** ONNX models: the value range they take and give (default 255, as the ONNX zoo's). */
  valueRange?: ValueRange;
  /** Video frames per network call. */
  batch: number;
  /** Video: blend strength for still regions, [0, 1); 0 is off. */
  temporalSmoothing: number;
  ffmpeg?: string;
  ffprobe?: string;
  /** Video: x264/VP9 constant rate factor. */
  crf?: number;
  json: boolean;
  quiet: boolean;
}

export const FAST_STYLIZE_DEFAULTS = { batch: 4, temporalSmoothing: 0, json: false, quiet: false } as const;
