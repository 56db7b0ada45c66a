/** Fast style transfer failures a user can act on (bad model, bad video, missing ffmpeg). */
export class FastError extends Error {
  override name = 'FastError';
}
