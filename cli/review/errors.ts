/** A review that cannot be made (bad ref, base that does not synthesize, bad arguments): exit 2. */
export class ReviewError extends Error {
  override readonly name = 'ReviewError';
}
