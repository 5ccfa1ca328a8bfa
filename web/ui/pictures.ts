/** Drawing the worker's RGBA pictures on canvases. */
import type { Picture } from '../protocol.js';

/** The canvas takes the picture's size (CSS scales it, pixelated). */
export function drawPicture(canvas: HTMLCanvasElement, picture: Picture): void {
  canvas.width = picture.width;
  canvas.height = picture.height;
  const context = canvas.getContext('2d');
  if (context === null) return;
  context.putImageData(new ImageData(picture.rgba, picture.width, picture.height), 0, 0);
}
