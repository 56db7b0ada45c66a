/**
 * Scale control (Gatys et al. 2017, section 5): what keeps style targets comparable across
 * sizes, and what each scale of a coarse-to-fine run is given.
 */
import { layerSize } from './tiles.js';

/**
 * The factor that turns a style image's Gram matrix (a sum over its own positions at `layer`)
 * into its mean outer product times the output's position count: the paper's Gram is
 * normalised by the number of positions, so a style image of another size or aspect ratio
 * than the output compares like for like (1 when the grids match). Spatial control
 * (guidedTargets in stylize.ts) applies the same factor region by region.
 */
export function positionRatio(layer: string, h: number, w: number, styleHeight: number, styleWidth: number): number {
  return (layerSize(layer, h) * layerSize(layer, w)) / (layerSize(layer, styleHeight) * layerSize(layer, styleWidth));
}

/**
 * The image whose activations are scale `k`'s content target. Coarse to fine, every scale
 * starts from the previous one's result upsampled (`start`), and by default matches the
 * content image at its own size, as the paper's code does for its high-resolution pass
 * (leongatys/NeuralImageSynthesis, ScaleControl.ipynb). With `keepCoarse` the finer scales
 * match the upsampled result instead, so the content cost holds the coarse stylisation's
 * structure and the style cost at the finer scale only adds finer strokes.
 */
export function contentTarget<T>(k: number, content: T, start: T, keepCoarse: boolean): T {
  return keepCoarse && k > 0 ? start : content;
}
