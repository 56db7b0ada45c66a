/**
 * The official GANLoss, L1Loss and cal_gradient_penalty (models/networks.py) as graph ops.
 * All reduce with a mean over every element, as PyTorch's default reduction does.
 */
import { F, GraphError, grad, type Tensor } from '../engine/index.js';

export type GanMode = 'lsgan' | 'vanilla' | 'wgangp';
export const GAN_MODES: readonly GanMode[] = ['lsgan', 'vanilla', 'wgangp'];

export function mean(x: Tensor): Tensor {
  return F.reduceMean(x);
}

/** nn.MSELoss against a constant target. */
export function mseLoss(x: Tensor, target: Tensor | number): Tensor {
  return mean(F.square(F.sub(x, target)));
}

/** nn.L1Loss. */
export function l1Loss(x: Tensor, target: Tensor): Tensor {
  return mean(F.abs(F.sub(x, target)));
}

/**
 * nn.BCEWithLogitsLoss against a constant target t, in the stable form PyTorch uses:
 * max(x, 0) - x·t + log(1 + exp(-|x|)), so no exp overflows for large |x|.
 */
export function bceWithLogits(x: Tensor, t: number): Tensor {
  const softplusTail = F.log(F.add(F.exp(F.neg(F.abs(x))), 1));
  return mean(F.add(F.sub(F.relu(x), F.mul(x, t)), softplusTail));
}

/**
 * GANLoss(gan_mode)(prediction, target_is_real): lsgan = MSE against 1/0, vanilla = BCE with
 * logits against 1/0, wgangp = -mean for real and +mean for fake (the official models add no
 * gradient penalty to it; see gradientPenalty).
 */
export function ganLoss(
  pred: Tensor,
  targetIsReal: boolean,
  mode: GanMode,
  labels: { real: number; fake: number } = { real: 1, fake: 0 },
): Tensor {
  const target = targetIsReal ? labels.real : labels.fake;
  switch (mode) {
    case 'lsgan':
      return mseLoss(pred, target);
    case 'vanilla':
      return bceWithLogits(pred, target);
    case 'wgangp':
      return targetIsReal ? F.neg(mean(pred)) : mean(pred);
    default:
      throw new GraphError(`gan mode ${String(mode)} not implemented; use ${GAN_MODES.join(', ')}`);
  }
}

export interface GradientPenaltyOptions {
  /** What D is differentiated at: real images, fakes, or alpha·real + (1-alpha)·fake per sample. */
  type?: 'real' | 'fake' | 'mixed';
  constant?: number;
  lambdaGP?: number;
}

/**
 * cal_gradient_penalty: lambda · mean_n((‖∂ΣD(x)/∂x_n + 1e-16‖₂ - constant)²). The gradient is
 * itself a graph (built by `grad` into the same graph), so differentiating the penalty with
 * respect to D's weights is a second backward pass through D.
 * `alpha` is [N, 1] (the official draws it with torch.rand); needed for type 'mixed'.
 */
export function gradientPenalty(
  D: (x: Tensor) => Tensor,
  real: Tensor,
  fake: Tensor,
  alpha: Tensor | null,
  opts: GradientPenaltyOptions = {},
): Tensor {
  const { type = 'mixed', constant = 1, lambdaGP = 10 } = opts;
  const n = real.shape[0];
  let x: Tensor;
  if (type === 'real') x = real;
  else if (type === 'fake') x = fake;
  else if (type === 'mixed') {
    if (!alpha || alpha.shape.length !== 2 || alpha.shape[0] !== n || alpha.shape[1] !== 1) {
      throw new GraphError(
        `gradientPenalty: type 'mixed' needs alpha of shape [${n},1], got ${alpha ? `[${alpha.shape}]` : 'none'}`,
      );
    }
    const a = F.reshape(alpha, [n, 1, 1, 1]);
    x = F.add(F.mul(a, real), F.mul(F.rsub(1, a), fake));
  } else throw new GraphError(`gradientPenalty: type ${String(type)} not implemented`);
  const [g] = grad(D(x), [x]);
  const flat = F.reshape(F.add(g, 1e-16), [n, -1]);
  const norm = F.sqrt(F.reduceSum(F.square(flat), [1]));
  return F.mul(mean(F.square(F.sub(norm, constant))), lambdaGP);
}
