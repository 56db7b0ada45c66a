/** networks.get_norm_layer of the official CycleGAN/pix2pix code, and the bias rule that goes with it. */
import { GraphError } from '../engine/graph.js';
import { BatchNorm2d, Identity, InstanceNorm2d, type Module } from '../nn/index.js';

export type NormType = 'instance' | 'batch' | 'none';
export const NORM_TYPES: readonly NormType[] = ['instance', 'batch', 'none'];

export type NormLayer = (channels: number) => Module;

/**
 * batch: affine, tracks running statistics; instance: neither (so no state_dict keys);
 * none: an Identity that still takes its place in the Sequential (indices do not shift).
 */
export function getNormLayer(norm: NormType): NormLayer {
  switch (norm) {
    case 'batch':
      return (c) => new BatchNorm2d(c);
    case 'instance':
      return (c) => new InstanceNorm2d(c, { affine: false });
    case 'none':
      return () => new Identity();
    default:
      throw new GraphError(
        `normalization layer [${String(norm)}] is not found; use one of ${NORM_TYPES.join(', ')}`,
      );
  }
}

/**
 * The official `use_bias = norm_layer.func == nn.InstanceNorm2d`: convolutions feeding a norm
 * layer carry a bias only with instance norm (batch norm has its own shift). With norm 'none'
 * the norm_layer is a plain function, so the rule gives no bias there either.
 */
export function usesBias(norm: NormType): boolean {
  return norm === 'instance';
}
