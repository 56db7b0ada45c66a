/**
 * The one error type the images module throws for bad files and bad pixels, so callers (CLI,
 * studio) can show `message` to a person as is: it names the file and says what is wrong, and
 * never carries a raw libvips stack.
 */
export class ImageError extends Error {
  override readonly name = 'ImageError';
  /** The file (or '<buffer>') the error is about, when there is one. */
  readonly file: string | undefined;

  constructor(message: string, file?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.file = file;
  }
}

/** Turns a libvips/sharp message into a short reason a person can act on. */
export function explainSharpError(err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  // One line, without libvips' loader prefix ("VipsJpeg: ", "vipspng: "): it means nothing to users.
  const first = (raw.split('\n').find((l) => l.trim() !== '') ?? raw).trim().replace(/^vips\w*:\s*/i, '');
  const lower = raw.toLowerCase();
  if (lower.includes('unsupported image format')) {
    return 'not an image, or a format this build cannot read (JPEG, PNG, WebP, GIF, TIFF, AVIF, SVG are supported)';
  }
  if (lower.includes('pixel limit')) return 'the image has more pixels than the allowed limit';
  if (
    lower.includes('premature end') ||
    lower.includes('truncated') ||
    lower.includes('read error') ||
    lower.includes('not enough data') ||
    lower.includes('unexpected end')
  ) {
    return `the file is truncated or corrupt (${first})`;
  }
  if (lower.includes('empty')) return 'the file is empty';
  return `the file could not be decoded (${first})`;
}
