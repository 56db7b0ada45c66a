/** Hub failures; messages say what to do next (which file to place where, which flag or variable to set). */
export type HubErrorCode =
  | 'unknown-model'
  | 'not-cached'
  | 'network'
  | 'http'
  | 'timeout'
  | 'interrupted'
  | 'hash-mismatch'
  | 'invalid-file'
  | 'aborted'
  | 'io';

export class HubError extends Error {
  constructor(
    readonly code: HubErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HubError';
  }
}
