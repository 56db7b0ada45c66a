/**
 * Colour control (Gatys et al. 2017, section 5): luminance-only transfer, or the style images'
 * colours matched to the content's before transfer.
 */
import { matchColorStats, matchHistogram, matchLuminance, originalColors, type RawImage } from '../images/index.js';

export const COLOR_CONTROLS = ['none', 'luminance', 'histogram', 'histogram-full'] as const;
export type ColorControl = (typeof COLOR_CONTROLS)[number];

/**
 * A style image as the transfer sees it: luminance mode matches its luma's mean and spread to
 * the content's (the paper's luminance matching); histogram mode maps its RGB mean and
 * covariance onto the content's; histogram-full then also matches each channel's full
 * histogram (quantile mapping).
 */
export function controlStyleColors(style: RawImage, content: RawImage, mode: ColorControl): RawImage {
  if (mode === 'luminance') return matchLuminance(style, content);
  if (mode === 'histogram') return matchColorStats(style, content);
  if (mode === 'histogram-full') return matchHistogram(matchColorStats(style, content), content);
  return style;
}

/** The result as delivered: luminance mode keeps the stylised luma with the content's chroma. */
export function controlResultColors(result: RawImage, content: RawImage, mode: ColorControl): RawImage {
  return mode === 'luminance' ? originalColors(result, content) : result;
}
