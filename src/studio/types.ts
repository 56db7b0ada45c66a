/** Shapes shared by the server, the job worker and the browser. */
import type { StyleProgress } from '../style/stylize.js';
import type { RunPoint, RunProgress } from './run_progress.js';

export type { RunPoint, RunProgress };

export type TrainKind = 'cyclegan-train' | 'pix2pix-train' | 'fast-train';
export type JobKind = 'style' | 'explore' | TrainKind;
export type JobStatus = 'queued' | 'running' | 'done' | 'stopped' | 'failed' | 'cancelled';

export interface StyleRef {
  id: string;
  weight?: number;
}

export interface ExploreRequest {
  experiment: 'strokes' | 'content';
  layer: string;
  image?: string;
  size?: number;
  iterations?: number;
  weights?: 'auto' | 'vgg19' | 'random';
  seed?: number;
}

/** A training job: a dataset folder under a --datasets root, a run name, the command's options. */
export interface TrainRequest {
  dataset: { root: number; name: string };
  /** The run folder under the studio's runs (set by the server when left out). */
  name?: string;
  /** fast-train: the uploaded style picture. */
  styleImage?: string;
  options?: Record<string, unknown>;
}

/** The validated body of POST /api/jobs. */
export interface JobRequest {
  kind: JobKind;
  content?: string;
  styles?: StyleRef[];
  options?: Record<string, unknown>;
  explore?: ExploreRequest;
  train?: TrainRequest;
}

/** Where a training job's step counter stands, as the trainer reports it. */
export interface TrainJobProgress {
  epoch: number;
  epochs: number;
  /** GAN: images seen in all; fast: optimiser steps. */
  step: number;
  /** Fast train: the run's last step. */
  steps?: number;
  losses: Record<string, number>;
  itPerSec: number;
}

/** Files a job's worker reads and writes, resolved by the server (never from the request). */
export interface JobFiles {
  content?: string;
  styles: string[];
  image?: string;
  train?: {
    dataset: string;
    /** The run folder: GAN [checkpoints_dir]/[name], fast --save-model-dir. */
    runDir: string;
    styleImage?: string;
    /** Where a finished fast-train model is registered for the fast-style page. */
    fastModels?: string;
  };
}

/** What stylize() reports as it runs, passed on to the page as is. */
export type JobProgress = StyleProgress;

export interface ScaleFrame {
  scale: number;
  size: [number, number];
  evaluation: number;
}

export interface JobRecord {
  id: string;
  kind: JobKind;
  status: JobStatus;
  created: number;
  started?: number;
  finished?: number;
  request: JobRequest;
  /** Names of the uploaded inputs, for the gallery and the CLI command. */
  inputNames: Record<string, string>;
  progress?: JobProgress;
  /** Cost history for the chart: [evaluation, total, content, style, tv]. */
  costs: [number, number, number, number, number][];
  /** Evaluation of the newest frame.png, 0 when none. */
  frame: number;
  /** The last frame of each finished coarse-to-fine scale (scale_K.png). */
  scaleFrames: ScaleFrame[];
  notices: string[];
  error?: string;
  result?: boolean;
  report?: Record<string, unknown>;
  /** Explore jobs: the key finished results are reused by. */
  cacheKey?: string;
  /** Training jobs: the trainer's latest position. */
  train?: TrainJobProgress;
  /** Training jobs: the run in the dashboard (run root index, folder name). */
  run?: { root: number; name: string };
}

/** Messages the job worker sends to the server. */
export type WorkerMessage =
  | { type: 'progress'; progress: JobProgress }
  | { type: 'frame'; evaluation: number }
  | { type: 'scale'; frame: ScaleFrame }
  | { type: 'notice'; message: string }
  | { type: 'train'; progress: TrainJobProgress }
  | { type: 'done'; report: Record<string, unknown>; interrupted: boolean }
  | { type: 'error'; message: string };

/** What the server sends the job worker. */
export type ServerMessage =
  | { type: 'start'; job: JobRecord; dir: string; files: JobFiles }
  | { type: 'abort' };

export type RunKind = 'gan' | 'fast';
export type RunStatus = 'queued' | 'training' | 'stopped' | 'finished' | 'failed';

/** A training run as GET /api/runs lists it. */
export interface RunSummary {
  root: number;
  name: string;
  kind: RunKind;
  folder: string;
  entries: number;
  last: RunPoint | null;
  updated: number;
  status: RunStatus;
  progress: RunProgress | null;
  /** The studio job that trains this run (the latest), when it was started here. */
  job: { id: string; kind: string; status: JobStatus } | null;
  canStop: boolean;
  canResume: boolean;
}

