#!/usr/bin/python3
"""Fixtures for the image tests (src/image, src/node/image), from PIL 9 / torchvision 0.14 / torch 1.13.

Run with /usr/bin/python3 (it has torch, torchvision, PIL and skimage's sample photos):

    /usr/bin/python3 tools/gen_image_fixtures.py            # both tiers
    /usr/bin/python3 tools/gen_image_fixtures.py --small    # committed tier only
    /usr/bin/python3 tools/gen_image_fixtures.py --full     # generated tier only

Committed tier, test/fixtures/image/ (small):
  photos/*            64x48 crops of skimage photos in many encodings (PNG RGB/gray/RGBA/LA/palette/1-bit/
                      16-bit, JPEG RGB/gray/CMYK/EXIF-rotated, WebP) + what PIL's .convert('RGB') decodes them to
                      and what torchvision's Resize + CenterCrop + ToTensor makes of three of them (x 255, uint8)
  resize_cases.json   PIL Image.resize(BILINEAR) of noise images (inputs rebuilt from a seed by the test)
  transform_cases.json torchvision Resize output sizes, CenterCrop of noise images, one full normalized tensor
  interpolate_cases.json torch.nn.functional.interpolate(bilinear, align_corners=False) on random tensors

Generated tier, test/fixtures/generated/image/ (git-ignored, ~2 MB): the full-size skimage photos
(chelsea, coffee, astronaut), JPEG q90 copies, a WebP copy, camera (gray), an RGBA PNG, their PIL decodes
and torchvision's ImageNet eval transform before Normalize (ToTensor x 255 as uint8, [3, 224, 224]).

Binary arrays are raw uint8 (.u8, optionally gzipped .u8.gz) or base64 float32 little-endian in JSON.
"""
import argparse
import base64
import gzip
import json
import os
import shutil
import struct
import sys
import zlib

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SMALL_DIR = os.path.join(ROOT, 'test', 'fixtures', 'image')
FULL_DIR = os.path.join(ROOT, 'test', 'fixtures', 'generated', 'image')
SKIMAGE_DATA = '/usr/lib/python3/dist-packages/skimage/data'

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


# ---- helpers ---------------------------------------------------------------------------------------

def noise_bytes(seed, count):
    """The test's noise generator (test/image/helpers.ts): an LCG, one byte per step."""
    state = seed & 0x7FFFFFFF
    out = bytearray(count)
    for i in range(count):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        out[i] = (state >> 16) & 0xFF
    return bytes(out)


def noise_image(width, height, channels, seed):
    # 4 channels as CMYK: Pillow resizes CMYK channel by channel (RGBA it would premultiply by alpha first).
    mode = {1: 'L', 3: 'RGB', 4: 'CMYK'}[channels]
    data = np.frombuffer(noise_bytes(seed, width * height * channels), dtype=np.uint8)
    shape = (height, width) if channels == 1 else (height, width, channels)
    return Image.fromarray(data.reshape(shape), mode)


def b64_f32(array):
    return base64.b64encode(np.ascontiguousarray(array, dtype='<f4').tobytes()).decode('ascii')


def b64_u8(array):
    return base64.b64encode(np.ascontiguousarray(array, dtype=np.uint8).tobytes()).decode('ascii')


def write_json(path, value):
    with open(path, 'w') as f:
        json.dump(value, f, indent=1)
        f.write('\n')


def write_u8(path, array):
    data = np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    if path.endswith('.gz'):
        # mtime=0 keeps the file byte-identical between runs.
        with open(path, 'wb') as f, gzip.GzipFile(fileobj=f, mode='wb', mtime=0, compresslevel=9) as g:
            g.write(data)
    else:
        with open(path, 'wb') as f:
            f.write(data)


def write_png16(path, array):
    """A 16-bit PNG (PIL cannot write 16-bit RGB): gray, gray+alpha, RGB or RGBA by channel count."""
    height, width = array.shape[:2]
    channels = 1 if array.ndim == 2 else array.shape[2]
    colour_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    raw = b''.join(b'\x00' + array[y].astype('>u2').tobytes() for y in range(height))

    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack('>IIBBBBB', width, height, 16, colour_type, 0, 0, 0)
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))


def pil_load(path):
    """torchvision's default ImageFolder loader (datasets.folder.pil_loader)."""
    with open(path, 'rb') as f:
        return Image.open(f).convert('RGB')


def eval_pixels_chw(image, resize, crop):
    """torchvision's eval transform up to ToTensor, scaled back to uint8 [3, crop, crop] (exact: values are k/255)."""
    tensor = T.Compose([T.Resize(resize), T.CenterCrop(crop), T.ToTensor()])(image)
    scaled = (tensor * 255).round()
    assert torch.all((scaled / 255 - tensor).abs() < 1e-7), 'ToTensor output is not k/255'
    return scaled.to(torch.uint8).numpy()


def skimage_photo(name):
    return Image.open(os.path.join(SKIMAGE_DATA, name))


# ---- committed tier --------------------------------------------------------------------------------

# Each eval config is (name, Resize size, CenterCrop size); 'down' antialiases, 'up' enlarges.
SMALL_EVAL_CONFIGS = [('down', 40, 32), ('up', 61, 56)]


def make_small_photos():
    out_dir = os.path.join(SMALL_DIR, 'photos')
    os.makedirs(out_dir, exist_ok=True)
    box = lambda left, top: (left, top, left + 64, top + 48)
    chelsea = skimage_photo('chelsea.png').crop(box(150, 60))  # keeps chelsea's ICC profile: decoders must ignore it
    coffee = skimage_photo('coffee.png').convert('RGB').crop(box(260, 150))
    camera = skimage_photo('camera.png').crop(box(200, 100))  # mode L
    rgb = np.array(chelsea)
    ramp = np.tile(np.linspace(0, 255, 64).astype(np.uint8), (48, 1))
    # Low byte with every value 0..255, so truncation vs rounding to 8 bits shows.
    # 16-bit samples: a 32x24 corner (noisy low bytes compress badly), with every low byte 0..255 present
    # so that truncating vs rounding to 8 bits shows.
    low = (np.arange(24 * 32 * 3).reshape(24, 32, 3) * 37 % 256).astype(np.uint16)
    rgb16 = rgb[:24, :32].astype(np.uint16) * 256 + low

    files = []

    def save(name, writer, note):
        path = os.path.join(out_dir, name)
        writer(path)
        files.append((name, note))

    save('chelsea.png', lambda p: chelsea.save(p), 'RGB PNG with an ICC profile')
    save('chelsea_q90.jpg', lambda p: chelsea.save(p, quality=90), 'JPEG q90, 4:2:0')
    save('chelsea_q90_444.jpg', lambda p: chelsea.save(p, quality=90, subsampling=0), 'JPEG q90, 4:4:4')
    save('chelsea_progressive.jpg', lambda p: chelsea.save(p, quality=90, progressive=True), 'progressive JPEG')
    save('chelsea_q90.webp', lambda p: chelsea.save(p, quality=90), 'lossy WebP q90')
    save('chelsea_lossless.webp', lambda p: chelsea.save(p, lossless=True), 'lossless WebP')
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display; PIL (and so torchvision) ignores it
    save('chelsea_exif_rotate90.jpg', lambda p: chelsea.save(p, quality=90, exif=exif), 'JPEG with EXIF orientation 6')
    save('chelsea_gray.jpg', lambda p: chelsea.convert('L').save(p, quality=90), 'grayscale JPEG')
    save('chelsea_cmyk.jpg', lambda p: chelsea.convert('CMYK').save(p, quality=90), 'CMYK JPEG (Adobe)')
    save('coffee_rgba.png', lambda p: Image.fromarray(np.dstack([np.array(coffee), ramp]), 'RGBA').save(p), 'RGBA PNG')
    save('chelsea_la.png', lambda p: Image.fromarray(np.dstack([rgb[..., 0], ramp]), 'LA').save(p), 'gray + alpha PNG')
    save('camera.png', lambda p: camera.save(p), 'grayscale PNG')
    save('chelsea_palette.png', lambda p: chelsea.convert('P', palette=Image.ADAPTIVE, colors=32).save(p, transparency=3),
         'palette PNG with a transparent index')
    save('chelsea_1bit.png', lambda p: chelsea.convert('1').save(p), '1-bit PNG')
    # Values ~140..330, half above 255: PIL clips them (mode I), it does not scale them.
    save('chelsea_gray16.png', lambda p: write_png16(p, rgb16[..., 0] // 150), '16-bit gray PNG (PIL mode I)')
    save('chelsea_rgb16.png', lambda p: write_png16(p, rgb16), '16-bit RGB PNG')
    save('chelsea_rgba16.png', lambda p: write_png16(p, np.dstack([rgb16, rgb16[..., :1]])), '16-bit RGBA PNG')
    save('chelsea_la16.png', lambda p: write_png16(p, rgb16[..., :2]), '16-bit gray + alpha PNG')

    cases = []
    for name, note in files:
        image = pil_load(os.path.join(out_dir, name))
        decoded = name + '.decoded.u8.gz'
        write_u8(os.path.join(out_dir, decoded), np.array(image))
        case = {'file': name, 'note': note, 'pilMode': Image.open(os.path.join(out_dir, name)).mode,
                'width': image.width, 'height': image.height, 'decoded': decoded, 'eval': []}
        if name in ('chelsea.png', 'coffee_rgba.png', 'camera.png'):
            for config, resize, crop in SMALL_EVAL_CONFIGS:
                expected = f'{name}.eval-{config}.u8.gz'
                write_u8(os.path.join(out_dir, expected), eval_pixels_chw(image, resize, crop))
                case['eval'].append({'resize': resize, 'crop': crop, 'expected': expected})
        cases.append(case)
    write_json(os.path.join(out_dir, 'manifest.json'), {
        'about': 'PIL .convert("RGB") decodes (HWC uint8) and torchvision Resize+CenterCrop+ToTensor x255 (CHW uint8)',
        'versions': versions(), 'cases': cases})


# (input width, height, channels, output width, height): enlarging, shrinking by odd factors, one axis only,
# large factors (wide filters), 1-pixel outputs.
RESIZE_CASES = [
    (16, 12, 3, 8, 6), (17, 13, 3, 5, 4), (30, 20, 3, 13, 9), (12, 9, 3, 31, 23), (7, 5, 1, 13, 9),
    (40, 3, 1, 11, 3), (3, 40, 1, 3, 11), (25, 25, 3, 25, 24), (25, 25, 3, 24, 25), (97, 6, 1, 5, 6),
    (6, 97, 1, 6, 4), (33, 21, 3, 1, 1), (9, 4, 4, 1, 7), (1, 1, 3, 5, 3), (64, 48, 3, 53, 40),
    (48, 64, 3, 40, 53), (20, 20, 1, 21, 19), (11, 13, 3, 100, 2),
]


def make_resize_cases():
    cases = []
    for index, (w, h, c, ow, oh) in enumerate(RESIZE_CASES):
        seed = 1000 + index
        out = noise_image(w, h, c, seed).resize((ow, oh), Image.BILINEAR)
        cases.append({'width': w, 'height': h, 'channels': c, 'seed': seed, 'outWidth': ow, 'outHeight': oh,
                      'expected': b64_u8(np.array(out))})
    write_json(os.path.join(SMALL_DIR, 'resize_cases.json'), {
        'about': 'PIL Image.resize((outWidth, outHeight), BILINEAR) of noise images (test/image/helpers.ts noiseImage)',
        'versions': versions(), 'cases': cases})


def make_transform_cases():
    from torchvision.transforms.functional import _compute_resized_output_size

    sizes = []
    for h, w in [(300, 451), (451, 300), (400, 600), (512, 512), (375, 500), (333, 1000), (1, 7), (7, 1), (255, 257)]:
        for size in (256, 224, 100, 1):
            sizes.append({'height': h, 'width': w, 'size': size, 'maxSize': None,
                          'expected': _compute_resized_output_size((h, w), [size])})
        for size, max_size in ((256, 300), (100, 120)):
            sizes.append({'height': h, 'width': w, 'size': size, 'maxSize': max_size,
                          'expected': _compute_resized_output_size((h, w), [size], max_size)})

    crops = []
    # Odd and even differences (Python's round-half-even), padding on one or both axes, and padding by a single
    # column or row (on the right or bottom only, so the image keeps its top-left corner).
    for index, (w, h, crop) in enumerate([(9, 7, [4, 4]), (10, 8, [3, 5]), (11, 11, [6, 6]), (13, 8, [8, 12]),
                                          (5, 4, [7, 9]), (6, 9, [4, 8]), (4, 10, [6, 3]), (8, 8, [8, 8]),
                                          (12, 7, [2, 1]), (3, 3, [10, 10]), (2, 3, [3, 3]), (5, 4, [5, 5])]):
        seed = 2000 + index
        out = T.CenterCrop(crop)(noise_image(w, h, 3, seed))
        crops.append({'width': w, 'height': h, 'channels': 3, 'seed': seed, 'crop': crop,
                      'outWidth': out.width, 'outHeight': out.height, 'expected': b64_u8(np.array(out))})

    # Resize(40) + CenterCrop + ToTensor + Normalize, on a 64x48 image (resized to 53x40) and on one already at size.
    pipeline = lambda crop: T.Compose([T.Resize(40), T.CenterCrop(crop), T.ToTensor(), T.Normalize(MEAN, STD)])
    full = pipeline(32)(noise_image(64, 48, 3, 3000))
    same = pipeline(15)(noise_image(53, 40, 3, 3001))
    # Resize(23) then CenterCrop(24): one row and column of padding.
    padded = T.Compose([T.Resize(23), T.CenterCrop(24), T.ToTensor(), T.Normalize(MEAN, STD)])(noise_image(30, 30, 3, 3002))
    write_json(os.path.join(SMALL_DIR, 'transform_cases.json'), {
        'about': 'torchvision 0.14 Resize output sizes, CenterCrop of noise images, and a full normalized eval tensor',
        'versions': versions(), 'resizedSizes': sizes, 'centerCrops': crops,
        'normalized': [
            {'width': 64, 'height': 48, 'seed': 3000, 'resize': 40, 'crop': 32, 'mean': MEAN, 'std': STD,
             'expected': b64_f32(full.numpy())},
            {'width': 53, 'height': 40, 'seed': 3001, 'resize': 40, 'crop': 15, 'mean': MEAN, 'std': STD,
             'expected': b64_f32(same.numpy())},
            {'width': 30, 'height': 30, 'seed': 3002, 'resize': 23, 'crop': 24, 'mean': MEAN, 'std': STD,
             'expected': b64_f32(padded.numpy())},
        ]})


def make_interpolate_cases():
    # One channel and several channels take different torch kernels (channels-last vs generic), rounding differently.
    torch.manual_seed(0)
    cases = []
    for shape, size in [((1, 1, 28, 28), (64, 64)), ((1, 1, 7, 5), (13, 9)), ((2, 3, 13, 9), (7, 5)),
                        ((1, 2, 5, 8), (5, 17)), ((1, 1, 28, 28), (28, 28)), ((1, 1, 3, 4), (10, 1)),
                        ((1, 3, 10, 12), (23, 17)), ((2, 1, 9, 9), (4, 20)), ((1, 3, 1, 1), (2, 3))]:
        x = torch.randn(*shape)
        y = F.interpolate(x, size=size, mode='bilinear', align_corners=False)
        cases.append({'shape': list(shape), 'size': list(size), 'input': b64_f32(x.numpy()), 'expected': b64_f32(y.numpy())})
    write_json(os.path.join(SMALL_DIR, 'interpolate_cases.json'), {
        'about': "torch.nn.functional.interpolate(x, size, mode='bilinear', align_corners=False) on randn inputs",
        'versions': versions(), 'cases': cases})


# ---- generated tier --------------------------------------------------------------------------------

def make_full():
    os.makedirs(FULL_DIR, exist_ok=True)
    files = []
    for name in ('chelsea', 'coffee', 'astronaut'):
        shutil.copyfile(os.path.join(SKIMAGE_DATA, name + '.png'), os.path.join(FULL_DIR, name + '.png'))
        files.append(name + '.png')
        pil_load(os.path.join(SKIMAGE_DATA, name + '.png')).save(os.path.join(FULL_DIR, name + '_q90.jpg'), quality=90)
        files.append(name + '_q90.jpg')
    pil_load(os.path.join(SKIMAGE_DATA, 'astronaut.png')).save(os.path.join(FULL_DIR, 'astronaut_q90.webp'), quality=90)
    files.append('astronaut_q90.webp')
    shutil.copyfile(os.path.join(SKIMAGE_DATA, 'camera.png'), os.path.join(FULL_DIR, 'camera.png'))
    files.append('camera.png')
    coffee = np.array(pil_load(os.path.join(SKIMAGE_DATA, 'coffee.png')))
    alpha = np.tile(np.linspace(0, 255, coffee.shape[1]).astype(np.uint8), (coffee.shape[0], 1))
    Image.fromarray(np.dstack([coffee, alpha]), 'RGBA').save(os.path.join(FULL_DIR, 'coffee_rgba.png'))
    files.append('coffee_rgba.png')

    cases = []
    for name in files:
        image = pil_load(os.path.join(FULL_DIR, name))
        write_u8(os.path.join(FULL_DIR, name + '.decoded.u8'), np.array(image))
        write_u8(os.path.join(FULL_DIR, name + '.eval.u8'), eval_pixels_chw(image, 256, 224))
        cases.append({'file': name, 'width': image.width, 'height': image.height, 'decoded': name + '.decoded.u8',
                      'eval': {'resize': 256, 'crop': 224, 'expected': name + '.eval.u8'}})
    # Written last: the tests take its presence to mean the tier is complete.
    write_json(os.path.join(FULL_DIR, 'manifest.json'), {
        'about': 'full-size photos: PIL decodes (HWC uint8) and Resize(256)+CenterCrop(224)+ToTensor x255 (CHW uint8)',
        'versions': versions(), 'cases': cases})


def versions():
    import PIL
    return {'torch': torch.__version__, 'torchvision': torchvision.__version__, 'pillow': PIL.__version__}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--small', action='store_true', help='only the committed tier (test/fixtures/image)')
    parser.add_argument('--full', action='store_true', help='only the generated tier (test/fixtures/generated/image)')
    args = parser.parse_args()
    both = not args.small and not args.full
    if args.small or both:
        os.makedirs(SMALL_DIR, exist_ok=True)
        make_small_photos()
        make_resize_cases()
        make_transform_cases()
        make_interpolate_cases()
        print(f'wrote {os.path.relpath(SMALL_DIR, ROOT)}', file=sys.stderr)
    if args.full or both:
        make_full()
        print(f'wrote {os.path.relpath(FULL_DIR, ROOT)}', file=sys.stderr)


if __name__ == '__main__':
    main()
