/**
 * Resizing as two matrix products with constant interpolation matrices,
 * y = Rh · x · Rwᵀ, so the gradient is exact and free (MatMul's own). The matrices
 * follow PyTorch's F.interpolate (align_corners=False; 'nearest' floors src = dst*in/out).
 */
import { GraphError, type Tensor } from '../graph.js';
import { matmul } from './matmul.js';
import { expand, reshape, transposeLast } from './shape.js';

export type ResizeMode = 'nearest' | 'bilinear';

export function interpolationMatrix(outSize: number, inSize: number, mode: ResizeMode): Float32Array {
  const m = new Float32Array(outSize * inSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    if (mode === 'nearest') {
      // In float32 as PyTorch does: in double, e.g. 26 -> 22 picks a different source pixel.
      const src = Math.floor(Math.fround(o * Math.fround(scale)));
      m[o * inSize + Math.min(src, inSize - 1)] = 1;
      continue;
    }
    const src = Math.max((o + 0.5) * scale - 0.5, 0);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const i1 = Math.min(i0 + 1, inSize - 1);
    const l = src - i0;
    m[o * inSize + i0] += 1 - l;
    m[o * inSize + i1] += l;
  }
  return m;
}

/** Resizes the last two axes of x to (h, w). */
export function resize(x: Tensor, h: number, w: number, mode: ResizeMode = 'bilinear'): Tensor {
  if (x.rank < 2 || h < 1 || w < 1) throw new GraphError(`Resize: cannot resize ${x} to ${h}x${w}`);
  const [ih, iw] = x.shape.slice(-2);
  let y = x;
  if (iw !== w) y = matmul(y, transposeLast(x.graph.constant(interpolationMatrix(w, iw, mode), [w, iw])));
  if (ih !== h) y = matmul(x.graph.constant(interpolationMatrix(h, ih, mode), [h, ih]), y);
  return y;
}

/**
 * Nearest-neighbour upsampling by an integer factor (F.interpolate(scale_factor=s, mode='nearest')):
 * each pixel repeated s x s times, as a Reshape, an Expand and a Reshape. Exact, with Expand's
 * gradient (a sum over the copies), and plain ONNX that onnxruntime-web runs too; the matrix
 * form of `resize` would cost a MatMul over the whole feature map for a copy.
 */
export function upsampleNearest(x: Tensor, s: number): Tensor {
  if (!Number.isInteger(s) || s < 1 || x.rank !== 4) throw new GraphError(`upsampleNearest: cannot upsample ${x} by ${s}`);
  if (s === 1) return x;
  const [n, c, h, w] = x.shape;
  const spread = expand(reshape(x, [n, c, h, 1, w, 1]), [n, c, h, s, w, s]);
  return reshape(spread, [n, c, h * s, w * s]);
}
