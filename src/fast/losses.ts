/**
 * The perceptual losses of Johnson et al. 2016 as pytorch/examples fast_neural_style computes
 * them (neural_style.py train(), utils.py), as small pure functions on graph tensors:
 *   ℓ_feat  = MSE(φ_relu2_2(ŷ), φ_relu2_2(x))                     (feature reconstruction)
 *   G_φ(y)  = φ φᵀ / (C·H·W) per image                            (utils.gram_matrix)
 *   ℓ_style = Σ_layers MSE(G_φ(ŷ), G_φ(style))                     (style reconstruction)
 *   total   = content_weight · ℓ_feat + style_weight · ℓ_style
 * with φ the VGG-16 activations of ImageNet-normalised 0-255 batches (utils.normalize_batch).
 */
import { F, type Tensor } from '../engine/index.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../models/vgg.js';

/** utils.normalize_batch: batch / 255, then (· - mean) / std per channel. */
export function normalizeBatch(batch: Tensor): Tensor {
  const g = batch.graph;
  const mean = g.constant(Float32Array.from(IMAGENET_MEAN), [1, 3, 1, 1], 'imagenet_mean');
  const std = g.constant(Float32Array.from(IMAGENET_STD), [1, 3, 1, 1], 'imagenet_std');
  return F.div(F.sub(F.div(batch, 255), mean), std);
}

/** utils.gram_matrix: [B, C, H, W] → [B, C, C], divided by C·H·W. */
export function gramMatrix(y: Tensor): Tensor {
  const [b, ch, h, w] = y.shape;
  const features = F.reshape(y, [b, ch, w * h]);
  return F.div(F.gram(features), ch * h * w);
}

/** torch.nn.MSELoss(): the mean of squared differences (b broadcast over a's leading axes). */
export function mseLoss(a: Tensor, b: Tensor): Tensor {
  return F.reduceMean(F.square(F.sub(a, b)));
}

/** ℓ_feat: the content term on one layer's activations of the output and of the input. */
export function featureReconstructionLoss(phiY: Tensor, phiX: Tensor): Tensor {
  return mseLoss(phiY, phiX);
}

/**
 * ℓ_style: Σ over layers of MSE between the output's Gram matrices [B, C, C] and the style
 * image's [C, C] (broadcast: the reference repeats the style image over the batch).
 * `scales` weighs each layer (1 with pretrained weights; see FastTrainStep for random ones).
 */
export function styleReconstructionLoss(gramY: readonly Tensor[], gramS: readonly Tensor[], scales?: readonly number[]): Tensor {
  let total: Tensor | null = null;
  gramY.forEach((gy, i) => {
    const term = scales && scales[i] !== 1 ? F.mul(mseLoss(gy, gramS[i]), scales[i]) : mseLoss(gy, gramS[i]);
    total = total ? F.add(total, term) : term;
  });
  if (!total) throw new Error('styleReconstructionLoss: no style layers');
  return total;
}
