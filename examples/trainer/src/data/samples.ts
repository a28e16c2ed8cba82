/** One decoded image/label pair in memory (evaluation). */
export interface Sample {
  id: string;
  /** RGB, HWC, row-major. */
  image: Uint8Array;
  /** One class id per pixel (255 = ignore). */
  labels: Uint8Array;
  width: number;
  height: number;
}
