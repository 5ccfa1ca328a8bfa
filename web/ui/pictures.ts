/**
 * Showing pictures on canvases as ImageBitmaps, through the 'bitmaprenderer'
 * context. A 2D canvas hands its pixels to the compositor again at every
 * frame the page draws (Chrome's ProduceCanvasResource): measured during
 * in-page training, with the five feature-map canvases of a classified photo
 * on the page, frames of 70-100 ms of main-thread CPU, 4-7 canvases at
 * 10-25 ms each. An ImageBitmap is immutable and handed over once (the same
 * training: the longest task 20 ms). The worker makes the bitmaps
 * (web/protocol.ts, Picture), so the page does no pixel work at all.
 */
import type { Picture } from '../protocol.js';

/** Shows `bitmap` on `canvas` (whose size becomes the bitmap's) and gives the bitmap up: it is detached. */
export function showBitmap(canvas: HTMLCanvasElement, bitmap: ImageBitmap): void {
  // The canvas's own size is what layout and CSS scaling read; set before the transfer, which a resize would clear.
  if (canvas.width !== bitmap.width) canvas.width = bitmap.width;
  if (canvas.height !== bitmap.height) canvas.height = bitmap.height;
  const context = canvas.getContext('bitmaprenderer');
  if (context === null) {
    bitmap.close();
    return;
  }
  context.transferFromImageBitmap(bitmap);
}

/** Shows `picture` on `canvas` at its own size (CSS scales it, pixelated); the picture's bitmap is used up. */
export function drawPicture(canvas: HTMLCanvasElement, picture: Picture): void {
  showBitmap(canvas, picture.bitmap);
}
