#!/usr/bin/env python3
"""Decodes a GIF written by `kerasvis activation --style lucid --gif` with Pillow and reports its frames.
Usage: python3 tools/check_gif.py anim.gif [expected_frames]"""
import sys

from PIL import Image

image = Image.open(sys.argv[1])
assert image.format == "GIF", image.format
for i in range(image.n_frames):
    image.seek(i)
    image.convert("RGB").load()
print(f"{sys.argv[1]}: {image.size[0]}x{image.size[1]}, {image.n_frames} frames decoded")
if len(sys.argv) > 2:
    assert image.n_frames == int(sys.argv[2]), f"expected {sys.argv[2]} frames"
