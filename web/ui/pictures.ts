/**
 * Showing pictures (the worker's RGBA rasters, decoded photos) on canvases,
 * as ImageBitmaps through the 'bitmaprenderer' context. A 2D canvas hands
 * its pixels to the compositor again at every frame the page draws (Chrome's
 * ProduceCanvasResource): measured during in-page training, with the five
 * feature-map canvases of a classified photo on the page, frames of 70-100 ms
 * of main-thread CPU, 4-7 canvases at 10-25 ms each. An ImageBitmap is
 * immutable and handed over once (the same training: the longest task 20 ms).
 */
import type { Picture } from '../protocol.js';

/** The newest picture asked of each canvas: an older one still being made is dropped when it arrives. */
const latest = new WeakMap<HTMLCanvasElement, object>();

/** Shows `bitmap` on `canvas` (whose size becomes the bitmap's) and gives the bitmap up: it is closed. */
export function showBitmap(canvas: HTMLCanvasElement, bitmap: ImageBitmap): void {
  latest.set(canvas, {});
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

/** Shows `picture` on `canvas` at its own size (CSS scales it, pixelated); resolves once it is shown or superseded. */
export async function drawPicture(canvas: HTMLCanvasElement, picture: Picture): Promise<void> {
  const ticket = {};
  latest.set(canvas, ticket);
  const bitmap = await createImageBitmap(new ImageData(picture.rgba, picture.width, picture.height));
  if (latest.get(canvas) !== ticket) {
    bitmap.close();
    return;
  }
  showBitmap(canvas, bitmap);
}
