export * from './elementwise.js';
export * from './shape.js';
export * from './reduce.js';
export * from './matmul.js';
export * from './conv.js';
export * from './pool.js';
export * from './norm.js';
export * from './resize.js';
export { reflectPad2d, reflectPad2dFits } from './reflect_pad.js';
