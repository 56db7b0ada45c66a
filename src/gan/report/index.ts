/** Training and test reports: loss logs, sample-image pages, the loss curve. */
export { HtmlPage, escapeHtml, type ImageCell } from './html.js';
export { LossLog, formatLossLine, cTime, type LogEntry, type LossLogOptions } from './log.js';
export {
  TrainingWeb,
  TestResults,
  tensorToImage,
  saveTensorImage,
  epochImageName,
  testWebDir,
  type Visuals,
  type VisualTensor,
  type TrainingWebOptions,
  type TestPageOptions,
} from './visuals.js';
