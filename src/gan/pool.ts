/**
 * The reference's ImagePool (util/image_pool.py, Shrivastava et al. 2017): discriminators see a
 * history of generated images, not only the latest. Until the pool is full every image is stored
 * and returned; afterwards each image has a 50% chance of being swapped for a stored one.
 * pool_size 0 passes batches through. Seeded, and its state (stored images and Rng) is saved
 * in checkpoints so a resumed run draws the same history.
 */
import { Rng } from '../nn/random.js';
import { deriveSeed } from './data/rng.js';

export interface PoolTensor {
  data: Float32Array;
  /** [C, H, W] of one image. */
  shape: number[];
}

export interface PoolState {
  pool_size: number;
  images: PoolTensor[];
  rng: number[];
}

export interface PoolBatch {
  data: Float32Array;
  /** [N, C, H, W] */
  shape: number[];
}

export class ImagePool {
  private readonly images: PoolTensor[] = [];
  private readonly rng: Rng;

  /** `seed` is the run's --seed; `stream` keeps two pools (fake_A, fake_B) apart. */
  constructor(
    readonly poolSize: number,
    seed = 0,
    stream = 'pool',
  ) {
    if (!Number.isInteger(poolSize) || poolSize < 0)
      throw new RangeError(`ImagePool: pool_size must be a non-negative integer, got ${poolSize}`);
    this.rng = new Rng(deriveSeed(seed, stream));
  }

  get count(): number {
    return this.images.length;
  }

  /** Images to show the discriminator in place of `batch` ([N, C, H, W]); a new array, `batch` is not kept. */
  query(batch: PoolBatch): PoolBatch {
    if (this.poolSize === 0) return batch;
    const [n, ...chw] = batch.shape;
    const per = chw.reduce((a, b) => a * b, 1);
    if (batch.shape.length !== 4 || batch.data.length !== n * per) {
      throw new RangeError(
        `ImagePool.query: need [N,C,H,W] data matching ${batch.data.length} values, got [${batch.shape.join(',')}]`,
      );
    }
    const out: PoolTensor[] = [];
    for (let i = 0; i < n; i++) {
      const image: PoolTensor = { data: batch.data.slice(i * per, (i + 1) * per), shape: [...chw] };
      if (this.images.length < this.poolSize) {
        this.images.push(image);
        out.push({ data: image.data.slice(), shape: image.shape });
      } else if (this.rng.next() > 0.5) {
        const id = this.rng.int(this.poolSize);
        out.push(this.images[id]);
        this.images[id] = image;
      } else {
        out.push(image);
      }
    }
    const shape = out[0].shape;
    for (const t of out) {
      if (t.shape.some((d, k) => d !== shape[k])) {
        throw new RangeError(
          `ImagePool: a stored image is [${t.shape.join(',')}] but another is [${shape.join(',')}]; ` +
            'with pictures of varying size use --batch_size 1 (or --pool_size 0)',
        );
      }
    }
    const data = new Float32Array(out.length * per);
    out.forEach((t, i) => data.set(t.data, i * per));
    return { data, shape: [out.length, ...shape] };
  }

  state(): PoolState {
    return {
      pool_size: this.poolSize,
      images: this.images.map((t) => ({ data: t.data, shape: [...t.shape] })),
      rng: this.rng.getState(),
    };
  }

  setState(s: PoolState): void {
    if (s.pool_size !== this.poolSize)
      throw new RangeError(
        `ImagePool: saved pool holds up to ${s.pool_size} images, this one ${this.poolSize} (--pool_size changed)`,
      );
    if (s.images.length > this.poolSize)
      throw new RangeError(
        `ImagePool: saved pool has ${s.images.length} images, more than its size ${this.poolSize}`,
      );
    this.images.length = 0;
    for (const t of s.images) this.images.push({ data: Float32Array.from(t.data), shape: [...t.shape] });
    this.rng.setState(s.rng);
  }
}
