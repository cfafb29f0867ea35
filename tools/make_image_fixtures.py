#!/usr/bin/env python3
"""Writes the Imaging test fixtures and the colormap tables.

Outputs
  Tests/Fixtures/images/*.png|*.jpg|*.bin   small test images, good and bad (a few hundred bytes to a few KB each)
  Tests/Fixtures/images/expected/*.npy      what the real libraries produce for them:
      keras.utils.load_img + img_to_array (Pillow underneath) for every colour mode, interpolation,
      target size and keep_aspect_ratio setting listed in the manifest; keras.applications.imagenet_utils
      .preprocess_input for each mode; matplotlib colormaps; Pillow "F"-mode resizing; keras-vis's overlay and
      stitch_images formulas (keras-vis itself does not import under Keras 3, so its two NumPy expressions are
      evaluated here as written in raghakot/keras-vis vis/visualization/__init__.py and vis/utils/utils.py)
  Tests/Fixtures/images/manifest.json        the list of cases for the Swift tests
  Sources/Imaging/ColormapTables.swift       matplotlib's 256-entry LUTs (RGB; alpha is 1 throughout) for COLORMAPS

Run: python3 tools/make_image_fixtures.py   (needs numpy, Pillow, matplotlib and keras with its TensorFlow backend)
     python3 tools/make_image_fixtures.py --colormaps   (only the tables, the colormap fixtures and their manifest
                                                          entries; needs numpy and matplotlib: pip install matplotlib)
"""
import argparse
import io
import json
import os
import struct
import sys
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import matplotlib  # noqa: E402
import numpy as np  # noqa: E402
import PIL  # noqa: E402
from PIL import Image  # noqa: E402

matplotlib.use("Agg")
from matplotlib import colormaps  # noqa: E402

keras = None  # imported by main() for the full run: --colormaps needs only numpy and matplotlib
imagenet_utils = None

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "images")
EXPECTED = os.path.join(OUT, "expected")
TABLES = os.path.join(ROOT, "Sources", "Imaging", "ColormapTables.swift")

RNG = np.random.default_rng(20240611)

# The colormaps of Sources/Imaging/Colormap.swift, in its order.
COLORMAPS = ("jet", "viridis", "gray", "turbo", "inferno", "magma")
# Table entries whose exact doubles the Swift tests compare (every byte value is checked through colormap_cases).
TABLE_ENTRIES = (0, 1, 17, 64, 100, 127, 128, 170, 200, 254, 255)


# ---------------------------------------------------------------- raw PNG writer (full control over chunks)

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def pack_row(values, depth):
    """Packs one row of samples (already flattened per pixel) at the given bit depth."""
    if depth == 8:
        return bytes(np.asarray(values, dtype=np.uint8))
    if depth == 16:
        return np.asarray(values, dtype=">u2").tobytes()
    per_byte = 8 // depth
    out = bytearray()
    vals = list(values)
    for i in range(0, len(vals), per_byte):
        byte = 0
        group = vals[i:i + per_byte]
        for j, v in enumerate(group):
            byte |= (int(v) & ((1 << depth) - 1)) << (8 - depth * (j + 1))
        out.append(byte)
    return bytes(out)


def png_bytes(samples, depth, color_type, extra=b"", interlace=False):
    """samples: array (h, w, c) of integer samples for the colour type."""
    h, w = samples.shape[:2]
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 1 if interlace else 0)
    raw = bytearray()
    if not interlace:
        for y in range(h):
            raw += b"\0" + pack_row(samples[y].reshape(-1), depth)
    else:
        passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        for x0, y0, dx, dy in passes:
            sub = samples[y0::dy, x0::dx]
            if sub.shape[0] == 0 or sub.shape[1] == 0:
                continue
            for y in range(sub.shape[0]):
                raw += b"\0" + pack_row(sub[y].reshape(-1), depth)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
            + chunk(b"IEND", b""))


# ---------------------------------------------------------------- source pictures

W, H = 23, 17


def picture(channels, maxval=255, w=W, h=H):
    """A smooth gradient plus texture, so that every resampling filter has something to do."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    planes = []
    for c in range(channels):
        base = (np.sin(x * (0.35 + 0.1 * c) + c) * 0.5 + 0.5) * 0.6 + (y / max(h - 1, 1)) * 0.3
        base += RNG.uniform(0, 0.1, size=(h, w))
        planes.append(np.clip(base, 0, 1))
    arr = np.stack(planes, axis=-1)
    return np.round(arr * maxval).astype(np.uint16 if maxval > 255 else np.uint8)


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def make_images():
    images = {}
    gray = picture(1)
    images["gray8.png"] = png_bytes(gray, 8, 0)
    images["gray16.png"] = png_bytes(picture(1, 65535), 16, 0)
    images["gray16_small.png"] = png_bytes(picture(1, 400), 16, 0)  # mostly <= 255: clipping visible
    images["gray4.png"] = png_bytes(picture(1, 15), 4, 0)
    images["gray2.png"] = png_bytes(picture(1, 3), 2, 0)
    images["gray1.png"] = png_bytes((picture(1) > 127).astype(np.uint8), 1, 0)
    trns_gray = int(gray[3, 4, 0])
    images["gray8_trns.png"] = png_bytes(gray, 8, 0, chunk(b"tRNS", struct.pack(">H", trns_gray)))
    la = picture(2)
    la[0, :, 1] = 0      # fully transparent row
    la[1, :, 1] = 255    # opaque row
    images["la8.png"] = png_bytes(la, 8, 4)
    images["la16.png"] = png_bytes(picture(2, 65535), 16, 4)
    rgb = picture(3)
    images["rgb8.png"] = png_bytes(rgb, 8, 2)
    images["rgb16.png"] = png_bytes(picture(3, 65535), 16, 2)
    r, g, b = (int(v) for v in rgb[5, 6])
    images["rgb8_trns.png"] = png_bytes(rgb, 8, 2, chunk(b"tRNS", struct.pack(">HHH", r, g, b)))
    images["rgb8_interlaced.png"] = png_bytes(rgb, 8, 2, interlace=True)
    rgba = picture(4)
    rgba[0, :, 3] = 0
    rgba[1, :, 3] = 255
    images["rgba8.png"] = png_bytes(rgba, 8, 6)
    images["rgba16.png"] = png_bytes(picture(4, 65535), 16, 6)
    images["rgba16_interlaced.png"] = png_bytes(picture(4, 65535), 16, 6, interlace=True)
    # Palettes: 8-bit with per-entry tRNS alpha (shorter than the palette), 4-bit with indices past the palette.
    pal = RNG.integers(0, 256, size=(40, 3), dtype=np.uint8)
    idx = RNG.integers(0, 40, size=(H, W, 1), dtype=np.uint8)
    alpha = RNG.integers(0, 256, size=25, dtype=np.uint8)
    images["palette8_trns.png"] = png_bytes(
        idx, 8, 3, chunk(b"PLTE", pal.tobytes()) + chunk(b"tRNS", alpha.tobytes()))
    pal4 = RNG.integers(0, 256, size=(12, 3), dtype=np.uint8)
    idx4 = RNG.integers(0, 12, size=(H, W, 1), dtype=np.uint8)
    images["palette4.png"] = png_bytes(idx4, 4, 3, chunk(b"PLTE", pal4.tobytes()))
    images["palette1_interlaced.png"] = png_bytes(
        (idx % 2).astype(np.uint8), 1, 3, chunk(b"PLTE", bytes([200, 30, 40, 10, 220, 90])), interlace=True)
    # JPEGs written by Pillow: baseline 4:2:0, progressive, 4:4:4, grayscale, CMYK.
    big = picture(3, w=40, h=32)
    for name, kwargs in [("rgb_baseline.jpg", dict(quality=90)),
                         ("rgb_progressive.jpg", dict(quality=85, progressive=True)),
                         ("rgb_444.jpg", dict(quality=95, subsampling=0))]:
        buf = io.BytesIO()
        Image.fromarray(big, "RGB").save(buf, "JPEG", **kwargs)
        images[name] = buf.getvalue()
    buf = io.BytesIO()
    Image.fromarray(picture(1, w=40, h=32)[..., 0], "L").save(buf, "JPEG", quality=90)
    images["gray.jpg"] = buf.getvalue()
    buf = io.BytesIO()
    Image.fromarray(picture(4, w=16, h=16), "RGBA").convert("CMYK").save(buf, "JPEG", quality=90)
    images["cmyk.jpg"] = buf.getvalue()
    # The format comes from the bytes: a PNG named .jpg and a JPEG named .png.
    images["png_named.jpg"] = images["rgb8.png"]
    images["jpeg_named.png"] = images["rgb_baseline.jpg"]
    # Bad files.
    rgb_png = images["rgb8.png"]
    images["truncated.png"] = rgb_png[: len(rgb_png) * 6 // 10]
    images["truncated_header.png"] = rgb_png[:20]
    jpg = images["rgb_baseline.jpg"]
    images["truncated.jpg"] = jpg[: len(jpg) * 6 // 10]
    images["truncated_header.jpg"] = jpg[:40]
    bad_crc = bytearray(rgb_png)
    bad_crc[29] ^= 0xFF  # IHDR CRC
    images["corrupt_header_crc.png"] = bytes(bad_crc)
    zero_width = struct.pack(">IIBBBBB", 0, 5, 8, 2, 0, 0, 0)
    images["corrupt_header_zero_width.png"] = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", zero_width)
                                               + chunk(b"IEND", b""))
    bad_idat = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", b"this is not zlib data") + chunk(b"IEND", b""))
    images["corrupt_data.png"] = bad_idat
    images["corrupt_header.jpg"] = b"\xff\xd8\xff\xc0\x00\x03garbage" + bytes(64)
    huge = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    images["huge_dimensions.png"] = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", huge)
                                     + chunk(b"IDAT", zlib.compress(b"\0" * 10)) + chunk(b"IEND", b""))
    images["not_an_image.bin"] = b"GIF89a is not supported here, nor is plain text." + bytes(20)
    images["empty.png"] = b""
    for name, data in images.items():
        write(name, data)
    return images


# ---------------------------------------------------------------- expected values

def save(name, array):
    np.save(os.path.join(EXPECTED, name), np.ascontiguousarray(array))
    return "expected/" + name


def load_cases(images):
    cases = []
    good = [n for n in images if not any(k in n for k in ("truncated", "corrupt", "huge", "not_an", "empty", "cmyk"))]
    # 1. Every good image in every colour mode at its own size (decode + convert, exactly as load_img does).
    for name in sorted(good):
        for mode in ("grayscale", "rgb", "rgba"):
            arr = keras.utils.img_to_array(keras.utils.load_img(os.path.join(OUT, name), color_mode=mode),
                                           dtype="float32")
            dtype = np.uint16 if arr.max() > 255 else np.uint8
            stem = name.replace(".", "_")
            cases.append(dict(file=name, color_mode=mode, target=None, interpolation="nearest",
                              keep_aspect_ratio=False,
                              expected=save(f"{stem}.{mode}.npy", arr.astype(dtype)),
                              pil_mode=Image.open(os.path.join(OUT, name)).mode))
    # 2. Resizing: down, up and mixed scaling with every interpolation.
    sizes = [(9, 11), (31, 40), (12, 30)]
    sources = [("rgb8.png", "rgb"), ("rgba8.png", "rgba"), ("la8.png", "rgba"), ("gray8.png", "grayscale"),
               ("gray16.png", "grayscale"), ("rgb_baseline.jpg", "rgb")]
    interpolations = ["nearest", "bilinear", "bicubic", "lanczos", "box", "hamming"]
    for name, mode in sources:
        for size in sizes:
            for interp in interpolations:
                cases.append(resize_case(name, mode, size, interp, False))
    # 3. keep_aspect_ratio (centre crop passed to Pillow as the resize box).
    for name, mode in [("rgb8.png", "rgb"), ("gray16.png", "grayscale"), ("rgba8.png", "rgba")]:
        for size in [(9, 9), (20, 8)]:
            for interp in interpolations:
                cases.append(resize_case(name, mode, size, interp, True))
    return cases


def resize_case(name, mode, size, interp, keep):
    img = keras.utils.load_img(os.path.join(OUT, name), color_mode=mode, target_size=size,
                               interpolation=interp, keep_aspect_ratio=keep)
    arr = keras.utils.img_to_array(img, dtype="float32")
    dtype = np.uint16 if img.mode in ("I;16", "I") else np.uint8
    stem = name.replace(".", "_")
    tag = "keep" if keep else "full"
    return dict(file=name, color_mode=mode, target=list(size), interpolation=interp, keep_aspect_ratio=keep,
                expected=save(f"{stem}.{mode}.{size[0]}x{size[1]}.{interp}.{tag}.npy", arr.astype(dtype)),
                pil_mode=img.mode)


def box_cases():
    """Pillow's Image.resize(size, filter, box) with fractional boxes, as ResizeBox is used directly."""
    cases = []
    flags = dict(nearest=Image.Resampling.NEAREST, bilinear=Image.Resampling.BILINEAR,
                 bicubic=Image.Resampling.BICUBIC, lanczos=Image.Resampling.LANCZOS, box=Image.Resampling.BOX,
                 hamming=Image.Resampling.HAMMING)
    for name, mode in [("rgb8.png", "RGB"), ("rgba8.png", "RGBA")]:
        img = Image.open(os.path.join(OUT, name)).convert(mode)
        for box in [(2.5, 1.25, 20.75, 15.5), (3, 0, 20, 17), (0, 0, 11.5, 17)]:
            for size in [(7, 5), (30, 25), (40, 6)]:
                for interp, flag in flags.items():
                    if mode == "RGBA" and interp not in ("bilinear", "lanczos"):
                        continue
                    arr = np.asarray(img.resize(size, flag, box=box), dtype=np.uint8)
                    tag = "_".join(str(v) for v in box)
                    cases.append(dict(file=name, mode=mode, box=list(box), size=list(size), interpolation=interp,
                                      expected=save(f"box_{name[:-4]}_{tag}_{size[0]}x{size[1]}_{interp}.npy", arr)))
    return cases


def preprocess_cases():
    cases = []
    img = keras.utils.img_to_array(keras.utils.load_img(os.path.join(OUT, "rgb8.png")), dtype="float32")
    batch = np.stack([img, img[::-1, ::-1]])
    save("preprocess_input.npy", img)
    save("preprocess_batch_input.npy", batch)
    for mode in ("tf", "caffe", "torch"):
        out = imagenet_utils.preprocess_input(img.copy(), mode=mode, data_format="channels_last")
        outb = imagenet_utils.preprocess_input(batch.copy(), mode=mode, data_format="channels_last")
        cases.append(dict(mode=mode, input="expected/preprocess_input.npy",
                          expected=save(f"preprocess_{mode}.npy", np.asarray(out, dtype=np.float32)),
                          batch_input="expected/preprocess_batch_input.npy",
                          batch_expected=save(f"preprocess_{mode}_batch.npy", np.asarray(outb, dtype=np.float32))))
    return cases


def colormap_cases(values=None):
    """The colormaps on edge values, a fine linear sweep (every table entry) and random values; `values` reuses
    committed inputs (--colormaps), so that the full run's random stream is not disturbed."""
    if values is None:
        values = np.concatenate([
            np.array([-1.0, -0.001, 0.0, 1e-7, 1 / 256, 0.5, 255 / 256, 0.9999999, 1.0, 1.0000001, 2.0, np.nan]),
            np.linspace(0, 1, 1001),
            RNG.uniform(0, 1, 500),
        ]).astype(np.float32)
    save("colormap_input.npy", values)
    cases = []
    for name in COLORMAPS:
        cmap = colormaps[name]
        # keras-vis examples: np.uint8(cm.jet(x)[..., :3] * 255)
        expected = np.uint8(cmap(values)[..., :3] * 255)
        assert (expected == cmap(values, bytes=True)[..., :3]).all()
        cases.append(dict(name=name, input="expected/colormap_input.npy",
                          expected=save(f"colormap_{name}.npy", expected),
                          entries=list(TABLE_ENTRIES),
                          rgb=[[float(v) for v in lut(name)[i, :3]] for i in TABLE_ENTRIES]))
    return cases


def overlay_cases():
    """keras-vis overlay / stitch_images, and the CAM overlay built from Pillow's F-mode bilinear resize."""
    rgb = keras.utils.img_to_array(keras.utils.load_img(os.path.join(OUT, "rgb8.png"))).astype(np.uint8)
    heat = RNG.uniform(0, 1, size=(5, 7)).astype(np.float32)
    save("cam_heatmap.npy", heat)
    resized = np.asarray(Image.fromarray(heat, "F").resize((W, H), Image.Resampling.BILINEAR), dtype=np.float32)
    save("cam_heatmap_resized.npy", resized)
    cases = {}
    for alpha in (0.5, 0.3):
        jet = np.uint8(colormaps["jet"](resized)[..., :3] * 255)
        # vis.visualization.overlay(array1, array2, alpha)
        blended = (jet * alpha + rgb * (1. - alpha)).astype(jet.dtype)
        cases[f"cam_jet_{alpha}"] = save(f"cam_overlay_jet_{alpha}.npy", blended)
    a = picture(3)
    b = picture(3)
    save("overlay_a.npy", a)
    save("overlay_b.npy", b)
    for alpha in (0.0, 0.25, 0.5, 0.7, 1.0):
        cases[f"overlay_{alpha}"] = save(f"overlay_{alpha}.npy", (a * alpha + b * (1. - alpha)).astype(a.dtype))
    # vis.utils.utils.stitch_images(images, margin, cols)
    tiles = [picture(3, w=6, h=4) for _ in range(7)]
    save("stitch_tiles.npy", np.stack(tiles))
    for margin, cols in ((5, 5), (2, 3), (0, 7), (1, 10)):
        h, w, c = tiles[0].shape
        n_rows = int(np.ceil(len(tiles) / cols))
        n_cols = min(len(tiles), cols)
        out = np.zeros((n_rows * h + (n_rows - 1) * margin, n_cols * w + (n_cols - 1) * margin, c), np.uint8)
        for row in range(n_rows):
            for col in range(n_cols):
                i = row * cols + col
                if i >= len(tiles):
                    break
                out[(h + margin) * row:(h + margin) * row + h, (w + margin) * col:(w + margin) * col + w, :] = tiles[i]
        cases[f"stitch_{margin}_{cols}"] = save(f"stitch_{margin}_{cols}.npy", out)
    # F-mode resizing with every filter, for FloatImage.resized.
    for interp, flag in [("nearest", Image.Resampling.NEAREST), ("bilinear", Image.Resampling.BILINEAR),
                         ("bicubic", Image.Resampling.BICUBIC), ("lanczos", Image.Resampling.LANCZOS)]:
        cases[f"float_{interp}"] = save(f"float_resize_{interp}.npy",
                                        np.asarray(Image.fromarray(heat, "F").resize((11, 3), flag), np.float32))
    return cases


# ---------------------------------------------------------------- colormap tables

def lut(name):
    """matplotlib's 256-entry RGBA table of a colormap (`cmap._lut[:256]`, what `cmap(x)` indexes)."""
    cmap = colormaps[name]
    cmap._init()
    table = cmap._lut[:256]
    assert cmap.N == 256 and table.shape == (256, 4), name
    assert (table[:, 3] == 1.0).all(), f"{name} has transparent entries; the Swift tables store RGB only"
    return table


def write_tables():
    lines = [
        "// Generated by tools/make_image_fixtures.py from matplotlib %s: `matplotlib.colormaps[name]._lut[:256]`"
        % matplotlib.__version__,
        "// (red, green, blue doubles, 256 entries each; alpha is 1 throughout). Do not edit by hand.",
        "",
        "enum ColormapTables {",
    ]
    for name in COLORMAPS:
        lines.append(f"  static let {name}: [Double] = [")
        for row in lut(name):
            lines.append("    " + ", ".join(repr(float(v)) for v in row[:3]) + ",")
        lines.append("  ]")
    lines.append("}")
    with open(TABLES, "w") as f:
        f.write("\n".join(lines) + "\n")


def update_colormaps():
    """--colormaps: the tables, the colormap fixtures and the manifest's "colormaps" list, nothing else."""
    os.makedirs(EXPECTED, exist_ok=True)
    write_tables()
    path = os.path.join(OUT, "manifest.json")
    with open(path) as f:
        manifest = json.load(f)
    manifest["colormaps"] = colormap_cases(np.load(os.path.join(EXPECTED, "colormap_input.npy")))
    manifest["generator"]["matplotlib"] = matplotlib.__version__
    with open(path, "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"wrote {TABLES} and {len(manifest['colormaps'])} colormap cases")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--colormaps", action="store_true", help="only the colormap tables and their fixtures")
    if parser.parse_args().colormaps:
        update_colormaps()
        return
    global keras, imagenet_utils
    import keras as keras_module
    from keras.applications import imagenet_utils as imagenet_utils_module
    keras, imagenet_utils = keras_module, imagenet_utils_module
    os.makedirs(EXPECTED, exist_ok=True)
    for d in (OUT, EXPECTED):
        for f in os.listdir(d):
            if os.path.isfile(os.path.join(d, f)) and f != "manifest.json":
                os.remove(os.path.join(d, f))
    write_tables()
    images = make_images()
    manifest = dict(
        generator=dict(pillow=PIL.__version__, numpy=np.__version__, matplotlib=matplotlib.__version__,
                       keras=keras.__version__, python=sys.version.split()[0]),
        load_img=load_cases(images),
        resize_box=box_cases(),
        preprocess=preprocess_cases(),
        colormaps=colormap_cases(),
        overlay=overlay_cases(),
        width=W, height=H,
    )
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote {len(manifest['load_img'])} load_img cases, {total} bytes under {OUT}")


if __name__ == "__main__":
    main()
