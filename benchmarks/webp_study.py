"""Why lossless animated WebP is larger than nnviz's GIF, measured on real frames.

    python benchmarks/webp_study.py                              # the default run
    python benchmarks/webp_study.py --config configs/spiral.toml
    python benchmarks/webp_study.py --slow                       # also libwebp's top effort (minutes)
    python benchmarks/webp_study.py --cache /tmp/frames.npz      # render once, reuse later
    python benchmarks/webp_study.py --no-antialias               # markers and lines drawn aliased

The frames are the ones ``render_history`` hands a writer: the config is
trained, its Animation drawn by its engine (two workers), every frame kept
(75 frames of 1200x400 for the default run, about 100 MB), with the GIF's
palette sample and exact colours computed as the pipeline does. Every variant
then encodes the same frames.

Variants:
  - ``gif``: GifWriter, the reference (one fixed palette, changed pixels only);
  - ``gif, every frame whole``: the same palette, each frame stored whole (the
    GIF most comparisons of WebP with GIF start from);
  - ``ffmpeg``: WebpWriter today (the bundled ffmpeg's libwebp_anim, lossless);
  - ``own``: the animated WebP container written here (VP8X, ANIM, one ANMF
    per frame). Each frame after the first is the rectangle that changed,
    encoded by Pillow's single-image lossless encoder; ``alpha`` makes the
    unchanged pixels transparent and blends (``exact=False``: libwebp may
    change the colour under them), ``prev`` keeps their colour (``exact=True``),
    ``opaque`` stores the rectangle as is, without blending;
  - ``pillow-anim``: Pillow's own animated save (WebPAnimEncoder with
    ``minimize_size``); it holds every frame, so it is a measurement only;
  - ``palette``: frames first mapped to the GIF's palette, so the pixels are
    the GIF's, not the renderer's.

The "pixels" column says what a decoder shows: the renderer's frames
(lossless) or the GIF's palette-mapped pixels; "decoded" is checked by
decoding the file with Pillow and comparing every frame, pixel for pixel.

The breakdown encodes the deltas (own, alpha) with only one class of changed
pixels kept: colours that fill large areas (contour bands, background) versus
rare colours (antialiased edges of markers, lines and text, and marker
fills), and the panels one by one.

What it found (default run, 75 frames; the spiral config agrees): every
lossless encoding lands at 1.22-1.25x the GIF. libwebp_anim through ffmpeg,
Pillow's WebPAnimEncoder (even with minimize_size) and the own container
with transparent deltas give the same bytes; effort q100 m6 saves 2% at 30x
the time; keeping the colour under unchanged pixels or storing the rectangle
opaque is 2-2.6x. About a third of the changed pixels carry rare
(antialiased) colours, and they cost 1.6 bytes each, over 80% of the delta
bytes; the GIF maps them to its 32-63 colours. Frames mapped to the GIF's
palette first come to 0.56-0.57x (0.71x on the spiral): no variant reaches
0.4x. That figure holds against a GIF of whole frames: nnviz's GIF is 0.43x
(default) to 0.59x (spiral) of one, full-colour WebP 0.54-0.74x and the
palette WebP 0.25-0.42x. With
``--no-antialias`` (markers, lines and patches aliased; text still smooth)
full colour comes to 1.02x the GIF. So WebpWriter stays lossless in full
colour, and ``--colors palette`` gives it (and the HTML player) the GIF's pixels.
"""

from __future__ import annotations

import argparse
import io
import struct
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

# isort: off
import nnviz

nnviz.pin_kernels()  # first: before NumPy loads, as the CLI does (nnviz/kernels.py)
import numpy as np

# isort: on
from PIL import GifImagePlugin, Image

from nnviz import catalog
from nnviz.engine.train import load_data, train
from nnviz.render.pipeline import ENGINES, Animation
from nnviz.render.writerbase import Writer
from nnviz.render.writers import GifWriter, WebpWriter, build_palette

Array = np.ndarray
TITLE = 30  # rows of the figure title, above the panels
Mask = Callable[[int, Array], Array]  # (frame index, frame) -> which changed pixels to keep


# --- frames ----------------------------------------------------------------------


class _Keep(Writer):
    format = "keep"

    def open(self) -> _Keep:
        self.kept: list[Array] = []
        return self

    def _write(self, frame: Array, info: dict[str, Any] | None) -> None:
        self.kept.append(frame.copy())

    def _finish(self) -> None:
        pass


def render_frames(path: Path | None) -> dict[str, Any]:
    """The run's frames and the GIF writer's options, as the pipeline makes them."""
    cfg = catalog.load(path)
    data = load_data(cfg)
    anim = Animation(train(cfg, data), data, cfg.render)
    engine = ENGINES[cfg.render.engine](anim)
    try:
        first = engine.still(anim.indices[0]).copy()
        sample = np.concatenate([first, engine.still(anim.indices[-1])])
        keep = _Keep("unused").open()
        engine.write(keep, 2, lambda n: None)
    finally:
        engine.close()
    return {
        "frames": np.stack(keep.kept),
        "sample": sample,
        "colors": anim.palette_colors(),
        "fps": cfg.render.fps,
        "hold": cfg.render.hold,
    }


def load_frames(path: Path | None, cache: Path | None) -> dict[str, Any]:
    if cache is not None and cache.exists():
        with np.load(cache) as z:
            return {k: z[k] for k in z.files}
    got = render_frames(path)
    if cache is not None:
        np.savez(cache, **got)
    return got


# --- the animated WebP container, written here ------------------------------------------


def vp8l(pixels: Array, quality: int, method: int, exact: bool) -> bytes:
    """One lossless image (RGB or RGBA) as its VP8L chunk, from Pillow's single-image encoder."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(
        buf, "WEBP", lossless=True, quality=quality, method=method, exact=exact
    )
    data = buf.getvalue()
    assert data[12:16] == b"VP8L", data[12:16]  # RIFF, size, WEBP, then the one chunk
    (size,) = struct.unpack("<I", data[16:20])
    return data[12 : 20 + size + (size & 1)]


def _u24(v: int) -> bytes:
    return struct.pack("<I", v)[:3]


def anmf(x: int, y: int, w: int, h: int, ms: int, blend: bool, image: bytes) -> bytes:
    """One ANMF chunk: an image at (x, y) (even), shown for ``ms``, never disposed."""
    body = _u24(x // 2) + _u24(y // 2) + _u24(w - 1) + _u24(h - 1) + _u24(ms) + bytes([0 if blend else 2]) + image
    return b"ANMF" + struct.pack("<I", len(body)) + body + b"\0" * (len(body) & 1)


def container(w: int, h: int, frames: Iterable[bytes]) -> bytes:
    vp8x = b"VP8X" + struct.pack("<I", 10) + bytes([0x12, 0, 0, 0]) + _u24(w - 1) + _u24(h - 1)  # alpha, animation
    anim = b"ANIM" + struct.pack("<I", 6) + struct.pack("<IH", 0, 0)  # background, loop forever
    body = b"WEBP" + vp8x + anim + b"".join(frames)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def own_webp(
    frames: Array, mode: str = "alpha", quality: int = 75, method: int = 4, keep: Mask | None = None
) -> tuple[bytes, list[int]]:
    """Frames as an animated WebP (100 ms each) and each ANMF chunk's size.

    ``keep`` restricts which changed pixels are stored (for the breakdown:
    the file then no longer shows the frames).
    """
    h, w = frames.shape[1:3]
    chunks = [anmf(0, 0, w, h, 100, False, vp8l(frames[0], quality, method, False))]
    for i in range(1, len(frames)):
        prev, cur = frames[i - 1], frames[i]
        changed = (cur != prev).any(axis=2)
        if keep is not None:
            changed &= keep(i, cur)
        rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
        if len(rows) == 0:
            r0, r1, c0, c1 = 0, 1, 0, 1
        else:  # ANMF offsets are even
            r0, r1, c0, c1 = int(rows[0]) & ~1, int(rows[-1]) + 1, int(cols[0]) & ~1, int(cols[-1]) + 1
        part, mask = cur[r0:r1, c0:c1], changed[r0:r1, c0:c1]
        if mode == "opaque":
            if keep is not None:
                part = np.where(mask[..., None], part, prev[r0:r1, c0:c1])
            image, blend = vp8l(part, quality, method, False), False
        else:
            rgba = np.dstack([part, np.where(mask, 255, 0).astype(np.uint8)])
            image, blend = vp8l(rgba, quality, method, mode == "prev"), True
        chunks.append(anmf(c0, r0, c1 - c0, r1 - r0, 100, blend, image))
    return container(w, h, chunks), [len(c) for c in chunks]


def decodes_to(path: Path, frames: Array) -> bool:
    """Pillow opens ``path`` with one frame per input frame, each equal to it pixel for pixel."""
    with Image.open(path) as im:
        if getattr(im, "n_frames", 1) != len(frames):
            return False
        for k, want in enumerate(frames):
            im.seek(k)
            if not np.array_equal(np.asarray(im.convert("RGB")), want):
                return False
    return True


# --- variants ------------------------------------------------------------------------------


def with_writer(cls: type[Writer], frames: Array, out: Path, **options: Any) -> None:
    with cls(out, **options) as writer:
        for frame in frames:
            writer.write(frame)


def pillow_anim(frames: Array, out: Path) -> None:
    images = [Image.fromarray(f) for f in frames]
    images[0].save(
        out,
        "WEBP",
        save_all=True,
        append_images=images[1:],
        lossless=True,
        quality=75,
        method=4,
        duration=100,
        loop=0,
        minimize_size=True,
    )


def whole_frames_gif(frames: Array, palette: Image.Image, out: Path, fps: float) -> None:
    """Each frame mapped to the palette as GifWriter maps it, and stored whole (no transparency, no rectangle).

    Mapped from the renderer's frames: mapping a mapped frame again is not always the identity
    (Pillow's colour cache can send a palette colour to a neighbour).
    """
    images = [Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    with open(out, "wb") as fh:
        for k, im in enumerate(images):
            # Pillow's multi-frame save would crop each frame to what changed; frame by frame it cannot.
            chunks = GifImagePlugin.getheader(im, None, {"loop": 0})[0] if k == 0 else []
            fh.write(b"".join(chunks))
            for chunk in GifImagePlugin.getdata(im, (0, 0), duration=round(1000 / fps), disposal=1):
                fh.write(chunk)
        fh.write(b";")


def study(run: dict[str, Any], slow: bool) -> None:
    frames = run["frames"]
    opts = {"fps": float(run["fps"]), "hold": float(run["hold"])}
    pal = {"sample": run["sample"], "colors": run["colors"]}
    palette = build_palette(run["sample"], fixed=run["colors"])
    mapped = np.stack(
        [
            np.asarray(Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE).convert("RGB"))
            for f in frames
        ]
    )
    n, h, w = frames.shape[:3]
    print(f"{n} frames of {w}x{h}; {len(palette.getpalette() or []) // 3} palette colours\n")

    with tempfile.TemporaryDirectory() as tmp:
        Make = Callable[[Path], object]

        def own(src: Array, **kw: Any) -> Make:
            return lambda out: out.write_bytes(own_webp(src, **kw)[0])

        def writer(cls: type[Writer], **kw: Any) -> Make:
            return lambda out: with_writer(cls, frames, out, **opts, **kw)

        lossless, gif_pixels = (frames, "lossless"), (mapped, "GIF's pixels")
        variants: list[tuple[str, tuple[Array, str], Make, bool]] = [
            ("gif: GifWriter (reference)", gif_pixels, writer(GifWriter, **pal), False),
            ("gif, every frame whole", gif_pixels, lambda o: whole_frames_gif(frames, palette, o, opts["fps"]), False),
            ("ffmpeg libwebp_anim q75 m4 (WebpWriter)", lossless, writer(WebpWriter), False),
            ("ffmpeg libwebp_anim q25 m4", lossless, writer(WebpWriter, quality=25), False),
            ("ffmpeg libwebp_anim q100 m6", lossless, writer(WebpWriter, quality=100, compression_level=6), True),
            ("pillow-anim minimize_size q75 m4 (holds all)", lossless, lambda o: pillow_anim(frames, o), False),
            ("own, alpha, q75 m4", lossless, own(frames), False),
            ("own, prev (exact=True), q75 m4", lossless, own(frames, mode="prev"), False),
            ("own, opaque rectangle, q75 m4", lossless, own(frames, mode="opaque"), False),
            ("own, alpha, q100 m6", lossless, own(frames, quality=100, method=6), True),
            ("palette: WebpWriter(sample=) q25 m4", gif_pixels, writer(WebpWriter, **pal), False),
            ("palette: own, alpha, q25 m4", gif_pixels, own(mapped, quality=25), False),
            ("palette: own, alpha, q100 m6", gif_pixels, own(mapped, quality=100, method=6), True),
        ]
        print("| variant | pixels | bytes | / GIF | seconds | decoded |")
        print("|---|---|---:|---:|---:|---|")
        gif = 0
        for i, (name, (want, fidelity), make, is_slow) in enumerate(variants):
            if is_slow and not slow:
                continue
            out = Path(tmp) / f"{i}.{'gif' if name.startswith('gif') else 'webp'}"
            start = time.perf_counter()
            make(out)
            took = time.perf_counter() - start
            size = out.stat().st_size
            gif = gif or size
            exact = "exact" if decodes_to(out, want) else "DIFFERS"
            print(f"| {name} | {fidelity} | {size:,} | {size / gif:.3f} | {took:.1f} | {exact} |", flush=True)
            out.unlink()
        breakdown(frames, gif)


def grid_lines(frame: Array, width: int) -> Array:
    """Where the white grid lines of the left panel are (one pixel each side too), found in ``frame``.

    Below the title, a grid row (column) is one where at least 30% of the panel's pixels are
    lighter than both their neighbours above and below (left and right).
    """
    light = frame[TITLE:, :width].astype(int).sum(axis=2)
    peak_r = (light[1:-1] > light[:-2] + 15) & (light[1:-1] > light[2:] + 15)
    peak_c = (light[:, 1:-1] > light[:, :-2] + 15) & (light[:, 1:-1] > light[:, 2:] + 15)
    rows, cols = np.flatnonzero(peak_r.mean(axis=1) > 0.3) + 1, np.flatnonzero(peak_c.mean(axis=0) > 0.3) + 1
    part = np.zeros(light.shape, bool)
    for d in (-1, 0, 1):
        part[np.clip(rows + d, 0, part.shape[0] - 1), :] = True
        part[:, np.clip(cols + d, 0, part.shape[1] - 1)] = True
    mask = np.zeros(frame.shape[:2], bool)
    mask[TITLE:, :width] = part
    return mask


def breakdown(frames: Array, gif: int) -> None:
    n, h, w = frames.shape[:3]
    key = (frames[..., 0].astype(np.int64) << 16) | (frames[..., 1].astype(np.int64) << 8) | frames[..., 2]
    colours, counts = np.unique(key, return_counts=True)
    common = colours[counts >= 500 * n]  # on average 500 pixels or more of every frame
    covered = counts[counts >= 500 * n].sum() / counts.sum()
    rows, cols = np.arange(h)[:, None], np.arange(w)[None, :]
    third = w // 3
    grid = grid_lines(frames[n // 2], third)
    classes: dict[str, Mask] = {
        f"area colours ({len(common)}, {covered:.0%} of all pixels)": lambda i, f: np.isin(key[i], common),
        "rare colours (antialiasing, markers)": lambda i, f: ~np.isin(key[i], common),
        f"grid lines, left panel ({grid.mean():.1%} of the frame)": lambda i, f: grid,
        "title (top 30 rows)": lambda i, f: np.broadcast_to(rows < TITLE, (h, w)),
        "left panel": lambda i, f: (rows >= TITLE) & (cols < third),
        "middle panel": lambda i, f: (rows >= TITLE) & (cols >= third) & (cols < 2 * third),
        "right panel": lambda i, f: (rows >= TITLE) & (cols >= 2 * third),
    }
    changed = [(frames[i] != frames[i - 1]).any(axis=2) for i in range(1, n)]
    _, sizes = own_webp(frames)
    total = sum(sizes[1:])
    print(f"\nDeltas (own, alpha, q75 m4): {total:,} bytes for {n - 1} frames, first frame {sizes[0]:,};")
    px = sum(int(c.sum()) for c in changed)
    print(f"{px / (n - 1):,.0f} changed pixels a frame: {total / px:.2f} bytes each (the GIF: {gif / px:.2f} a pixel,")
    print(
        "first frame included). Each class encoded alone (the classes' sum exceeds the whole: each pays overheads):\n"
    )
    print("| changed pixels kept | pixels a frame | delta bytes | share | bytes a pixel |")
    print("|---|---:|---:|---:|---:|")
    for name, keep in classes.items():
        kept = sum(int((c & keep(i + 1, frames[i + 1])).sum()) for i, c in enumerate(changed))
        part = sum(own_webp(frames, keep=keep)[1][1:])
        print(
            f"| {name} | {kept / (n - 1):,.0f} | {part:,} | {part / total:.2f} | {part / max(kept, 1):.2f} |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=None, help="a config file (default: the default run)")
    parser.add_argument("--cache", type=Path, default=None, help="frames .npz: read if present, else written")
    parser.add_argument("--slow", action="store_true", help="also libwebp's top effort, q100 m6 (minutes)")
    parser.add_argument("--no-antialias", action="store_true", help="draw markers, lines and patches aliased")
    args = parser.parse_args()
    if args.no_antialias:
        import matplotlib

        matplotlib.rcParams.update({"lines.antialiased": False, "patch.antialiased": False})
        if args.cache is not None:  # other frames: never read (or overwrite) the antialiased cache
            args.cache = args.cache.with_name(f"{args.cache.stem}-no-antialias{args.cache.suffix}")
    run = load_frames(args.config, args.cache)
    print(f"{args.config or 'default run'}: ", end="")
    study(run, args.slow)


if __name__ == "__main__":
    main()
