/** Neural style transfer: the library API behind `ai-art style`. */
export { stylize, autoStyleWeight, scheduleIterations, type StylizeOptions, type StyleReport, type StyleProgress, type StylizeHooks, type ImageSource } from './stylize.js';
export { PRESETS, resolveSettings, StyleOptionError, type StyleSettings, type StyleSettingsInput, type PresetName } from './options.js';
export { J_content, J_style_layer, J_tv, gram } from './costs.js';
export { StyleNet } from './objective.js';
export { loadVgg, type WeightsSpec } from './vgg.js';
