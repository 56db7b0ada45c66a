export * from './module.js';
export * from './layers.js';
export { Rng } from './random.js';
