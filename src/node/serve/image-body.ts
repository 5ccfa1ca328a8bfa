/**
 * The images of a /v1/classify request: the raw body when its Content-Type
 * is image/*, or each file part of a multipart/form-data body (parsed by
 * busboy). Bytes are counted as they arrive; the total stops at the body
 * limit and the server-wide budget of body bytes, and the number of parts at
 * `maxImages`, before they are buffered.
 */
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { readImageHeader } from '../../image/image-header.js';
import { type BodyLimits, HttpError, admitBody, bodyTooLarge, countBodyBytes, readBody } from './http-io.js';

export interface UploadedImage {
  /** The part's file name (or field name), "body" for a raw image body: the "file" of the answer. */
  name: string;
  bytes: Uint8Array;
}

export interface ImageBodyLimits extends BodyLimits {
  maxImages: number;
}

export async function readImages(req: IncomingMessage, limits: ImageBodyLimits, signal: AbortSignal): Promise<UploadedImage[]> {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith('image/')) {
    const body = await readBody(req, limits, signal);
    if (body.length === 0) throw new HttpError(400, 'the request body is empty: expected image bytes (JPEG, PNG or WebP)');
    return acceptedFormats([{ name: 'body', bytes: body }]);
  }
  if (type.startsWith('multipart/form-data')) return acceptedFormats(await readMultipart(req, limits, signal));
  throw new HttpError(
    415,
    `Content-Type '${req.headers['content-type'] ?? ''}' is not accepted: send the image as the body with Content-Type image/jpeg, image/png or image/webp, or as files of a multipart/form-data form`,
  );
}

function readMultipart(req: IncomingMessage, limits: ImageBodyLimits, signal: AbortSignal): Promise<UploadedImage[]> {
  admitBody(req, limits);
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8', // file names as browsers and curl send them (busboy's default reads them as latin1)
        limits: { files: limits.maxImages, fileSize: limits.maxBytes, fields: 32, fieldSize: 64 * 1024, parts: limits.maxImages + 32, headerPairs: 64 },
      });
    } catch (error) {
      reject(new HttpError(400, `malformed multipart/form-data request: ${(error as Error).message}`));
      return;
    }
    const images: UploadedImage[] = [];
    let received = 0;
    let settled = false;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      req.unpipe(parser);
      req.resume(); // drop the rest, so the answer reaches a client still sending
      signal.removeEventListener('abort', onAbort);
      reject(error);
    };
    const onAbort = (): void => fail(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      try {
        countBodyBytes(received, limits);
      } catch (error) {
        fail(error);
      }
    });
    req.on('close', () => {
      if (!req.complete) fail(new HttpError(499, 'the client closed the connection before sending the whole body'));
    });
    parser.on('file', (field, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => fail(bodyTooLarge(limits.maxBytes)));
      stream.on('error', (error: Error) => fail(new HttpError(400, `malformed multipart/form-data body: ${error.message}`)));
      stream.on('end', () => images.push({ name: info.filename || field, bytes: Buffer.concat(chunks) }));
    });
    parser.on('filesLimit', () => fail(new HttpError(413, `more than ${limits.maxImages} images in one request`)));
    parser.on('partsLimit', () => fail(new HttpError(413, `more than ${limits.maxImages + 32} parts in one request`)));
    parser.on('fieldsLimit', () => fail(new HttpError(413, 'more than 32 form fields in one request')));
    parser.on('error', (error: Error) => fail(new HttpError(400, `malformed multipart/form-data body: ${error.message}`)));
    parser.on('close', () => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      const empty = images.find((image) => image.bytes.length === 0);
      if (images.length === 0) reject(new HttpError(400, 'the multipart form holds no file: expected one or more image files'));
      else if (empty !== undefined) reject(new HttpError(400, `form file '${empty.name}' is empty: expected image bytes (JPEG, PNG or WebP)`));
      else resolve(images);
    });
    req.pipe(parser);
  });
}

const ACCEPTED_FORMATS = new Set(['JPEG', 'PNG', 'WebP']);

/**
 * The images, once each one's first bytes say JPEG, PNG or WebP: what the server takes. The decoder reads
 * more (GIF, AVIF, TIFF, SVG...), but a server must not hand it everything a client sends: a 236-byte SVG
 * with a turbulence filter kept a decoding thread busy for 2.4 s. Bytes of no known format are 400, as the
 * decoder would answer; a known format the server does not take is 415.
 */
function acceptedFormats(images: UploadedImage[]): UploadedImage[] {
  for (const image of images) {
    const format = readImageHeader(image.bytes)?.format;
    if (format === undefined) throw new HttpError(400, `${image.name} is not a decodable image (JPEG, PNG or WebP expected)`);
    if (!ACCEPTED_FORMATS.has(format)) throw new HttpError(415, `${image.name} is a ${format} image: this server takes JPEG, PNG or WebP`);
  }
  return images;
}
