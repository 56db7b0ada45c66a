/** A wrong option or command line: the message names the option and what it accepts. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A value refused by a command's schema. `option` is the key in the options object. */
export class OptionError extends UsageError {
  override name = 'OptionError';
  constructor(
    message: string,
    readonly option?: string,
  ) {
    super(message);
  }
}
