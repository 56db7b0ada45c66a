/**
 * One error class for everything that goes wrong with a weights file, so callers
 * (the CLI) can print the message alone: it already names the file and the cause.
 */
export type WeightsErrorCode =
  'not-a-checkpoint' | 'corrupt' | 'truncated' | 'refused' | 'unsupported' | 'io' | 'not-found';

export class WeightsError extends Error {
  constructor(
    readonly code: WeightsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WeightsError';
  }
}
