"""Old against new, in one run: the garment and item steps whose algorithm was replaced
to make ``--target items`` fast (issue 11's speed point).

Each step's replaced implementation is kept below, as it was, and timed against the
shipped one on the same inputs (the figure, pose, class maps and item map of each
photo computed once): CPU time (``time.process_time``) under one thread, old and new
interleaved, medians per photo; and what the new one changes in the results.

    python benchmarks/bench_garment_speed.py                  # the 3 example photos
    python benchmarks/bench_garment_speed.py --ccp 20         # and 20 CCP dev photos
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from runwaycut.batch.cores import one_thread
from runwaycut.garment import colors as C
from runwaycut.garment import items as I
from runwaycut.garment import labelmap as L
from runwaycut.garment.features import pixel_features, to_work, work_scale
from runwaycut.garment.model import load_garment_model
from runwaycut.garment.types import GarmentParams
from runwaycut.io import read_image
from runwaycut.methods.auto import AutoMethod

DATA = ROOT.parent / "shared" / "data" / "ccp"


# --- the replaced implementations, as they were --------------------------------------------

def old_photo_labels(small, maps, image, figure, params):
    """Each class map but the last guided-upsampled over the whole photo, one by one
    (the guide's statistics recomputed per map), then the argmax."""
    from runwaycut.person.matting import guided_upsample

    H, W = image.shape[:2]
    out = np.empty((H, W, maps.shape[2]), np.float32)
    for c in range(maps.shape[2] - 1):
        out[..., c] = guided_upsample(small, np.ascontiguousarray(maps[..., c]), image,
                                      params.guided_radius, params.guided_eps)
    out[..., -1] = 1.0
    for c in range(maps.shape[2] - 1):
        out[..., -1] -= out[..., c]
    return L.label_map(out, figure)


def old_figure_regions(image, index, shape, params):
    """Felzenszwalb on the figure's box at working size, regions numbered by np.unique."""
    from skimage.segmentation import felzenszwalb

    ys, xs = np.divmod(np.asarray(index), shape[1])
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    seg = felzenszwalb(image[y0:y1, x0:x1], scale=params.regions, sigma=params.region_sigma,
                       min_size=params.region_min_size)
    return np.unique(seg[ys - y0, xs - x0], return_inverse=True)[1].astype(np.int64).ravel()


def old_garment_colors(image, mask, params=C.ColorParams()):
    """Distinct colours counted by ``np.unique(axis=0)`` (a sort of every pixel), thread
    pools inspected at every call, cluster sums by ``np.add.at``."""
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    pixels = image[mask]
    if len(pixels) == 0:
        return []
    rng = np.random.default_rng(params.seed)
    if len(pixels) > params.sample:
        pixels = pixels[rng.choice(len(pixels), params.sample, replace=False)]
    lab = C.rgb_to_lab(pixels).astype(np.float64)
    k = min(params.max_colors, len(np.unique(pixels, axis=0)))
    with threadpool_limits(limits=1):
        km = KMeans(n_clusters=k, n_init=1, random_state=params.seed).fit(lab)
    centres = km.cluster_centers_
    counts = np.bincount(km.labels_, minlength=k).astype(np.float64)
    centres, counts = C._merge_close(centres, counts, params.merge_delta_e)
    keep = counts >= params.min_share * counts.sum()
    if not keep.any():
        keep = counts == counts.max()
    centres = centres[keep]
    nearest = np.argmin(((lab[:, None, :] - centres[None]) ** 2).sum(axis=2), axis=1)
    counts = np.bincount(nearest, minlength=len(centres)).astype(np.float64)
    sums = np.zeros_like(centres)
    np.add.at(sums, nearest, lab)
    present = counts > 0
    centres = sums[present] / counts[present, None]
    counts = counts[present]
    named: dict = {}
    for centre, count in zip(centres, counts):
        name, family = C.name_color(centre)
        entry = named.setdefault(name, [family, np.zeros(3), 0.0])
        entry[1] = entry[1] + centre * count
        entry[2] += count
    total = counts.sum()
    out = []
    for name, (family, weighted, count) in named.items():
        mean = weighted / count
        rgb = tuple(int(v) for v in C.lab_to_rgb(mean[None].astype(np.float32))[0])
        out.append(C.GarmentColor(rgb=rgb, lab=tuple(float(v) for v in mean),
                                  share=float(count / total), name=name, family=family))
    out.sort(key=lambda c: (-c.share, c.name))
    return out


def old_item_colors(image, result, params=replace(I.ITEM_COLORS, sample=2000)):
    """The figure's palette (old clustering), then per item a full-size mask, its
    ``np.nonzero`` and a seeded draw of at most 2000 of its pixels."""
    masks = result.masks
    if not masks:
        return {}
    figure_params = replace(params, max_colors=2 * params.max_colors, min_share=0.02,
                            sample=max(params.sample, 8000))
    palette = old_garment_colors(image, result.figure, figure_params)
    centres = np.array([c.lab for c in palette], np.float64)
    rng = np.random.default_rng(params.seed)
    found = {}
    for name, mask in masks.items():
        ys, xs = np.nonzero(mask)
        if len(ys) > params.sample:
            pick = rng.choice(len(ys), params.sample, replace=False)
            ys, xs = ys[pick], xs[pick]
        lab = C.rgb_to_lab(image[ys, xs]).astype(np.float64)
        nearest = np.argmin(((lab[:, None, :] - centres[None]) ** 2).sum(axis=2), axis=1)
        share = np.bincount(nearest, minlength=len(palette)) / len(nearest)
        keep = share >= params.min_share
        if not keep.any():
            keep = share == share.max()
        share = np.where(keep, share, 0) / share[keep].sum()
        colours = [replace(palette[i], share=float(share[i])) for i in np.flatnonzero(keep)]
        found[name] = sorted(colours, key=lambda c: (-c.share, c.name))
    return found


def old_items_from_logits(logits, affine, figure, taken_in=I.TAKEN_IN, take=None,
                          upscale=I.UPSCALE, min_share=I.MIN_ITEM_SHARE):
    """The 14 logit maps enlarged as one (rows, cols, 14) image; argmax, softmax and the
    refill as reductions over its last (strided) axis."""
    take = I.TakeIn() if take is None else take
    H, W = figure.shape
    k, rows, cols = logits.shape
    big = cv2.resize(np.ascontiguousarray(logits.transpose(1, 2, 0)), (cols * upscale, rows * upscale),
                     interpolation=cv2.INTER_LINEAR).reshape(rows * upscale, cols * upscale, k)
    item = (np.argmax(big[..., 1:], axis=2) + 1).astype(np.uint8)
    # Photo pixel -> enlarged window pixel (centres to centres), nearest.
    to_big = np.asarray(affine, np.float64) * upscale
    to_big[:, 2] += (upscale - 1) / 2
    size = (W, H)
    flags = cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP
    item_full = cv2.warpAffine(item, to_big, size, flags=flags, borderMode=cv2.BORDER_REPLICATE)
    labels = np.where(figure, item_full, np.uint8(0))
    figure = figure.copy()
    if taken_in and figure.any():
        wanted = [I.ITEM_NAMES.index(n) for n in taken_in]
        z = big - big.max(axis=2, keepdims=True)
        p = np.exp(z)
        share = p[..., wanted].sum(axis=2) / p.sum(axis=2)
        likely = (share >= take.min_probability).astype(np.uint8)
        carried = cv2.warpAffine(likely, to_big, size, flags=flags,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)
        carried &= ~figure
        r = round(take.opening * H)
        if r > 0 and carried.any():  # rims along the outline go; a bag's body stays
            disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
            carried = cv2.morphologyEx(carried.astype(np.uint8), cv2.MORPH_OPEN, disc).astype(bool)
        if carried.any():
            n, comp, stats, _ = cv2.connectedComponentsWithStats(carried.astype(np.uint8),
                                                                 connectivity=8)
            reach = max(1, round(take.reach * H))
            near = cv2.dilate(figure.astype(np.uint8), cv2.getStructuringElement(
                cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))).astype(bool)
            touching = np.zeros(n, bool)
            touching[np.unique(comp[near & carried])] = True
            big_enough = stats[:, cv2.CC_STAT_AREA] >= take.min_area * np.count_nonzero(figure)
            keep = touching & big_enough
            keep[0] = False
            add = keep[comp]
            if add.any():
                best = np.argmax(big[..., wanted], axis=2).astype(np.uint8)
                best = np.asarray(wanted, np.uint8)[best]
                best_full = cv2.warpAffine(best, to_big, size, flags=flags,
                                           borderMode=cv2.BORDER_REPLICATE)
                labels[add] = best_full[add]
                figure |= add
    counts = np.bincount(labels[figure], minlength=k)
    minor = np.flatnonzero((counts > 0) & (counts < min_share * max(counts.sum(), 1)))
    minor = minor[minor > 0]
    if minor.size and minor.size < np.count_nonzero(counts[1:]):  # some item must remain
        kept = big.copy()
        kept[..., 0] = -np.inf
        kept[..., minor] = -np.inf
        kept[..., np.flatnonzero(counts == 0)] = -np.inf  # (nor may an absent one appear)
        refill = cv2.warpAffine(np.argmax(kept, axis=2).astype(np.uint8), to_big, size,
                                flags=flags, borderMode=cv2.BORDER_REPLICATE)
        stray = np.isin(labels, minor)
        labels[stray] = refill[stray]
    return labels, figure


# --- comparisons -----------------------------------------------------------------------------

def _labels_diff(old, new) -> str:
    return f"{int((old != new).sum())} pixels differ"


def _regions_diff(old, new) -> str:
    return (f"{old.max() + 1} -> {new.max() + 1} regions (garment F1: see the commit "
            f"message and figure_regions)")


def _item_map_diff(old, new) -> str:
    return (f"{int((old[0] != new[0]).sum())} labels, "
            f"{int((old[1] != new[1]).sum())} figure pixels differ")


def _names(colours) -> list[str]:
    return [c.name for c in colours]


def _colours_diff(old, new) -> str:
    shares = max((abs(a.share - b.share) for a, b in zip(old, new)), default=0.0)
    return ("same names" if _names(old) == _names(new) else
            f"names {_names(old)} -> {_names(new)}") + f", shares within {shares:.3f}"


def _item_colours_diff(old, new) -> str:
    first = sum(o[0].name != new[n][0].name for n, o in old.items())
    names = sum(_names(o) != _names(new[n]) for n, o in old.items())
    return f"{len(old)} items: first colour differs for {first}, the list for {names}"


# --- the run ---------------------------------------------------------------------------------

def prepare(image, auto, model, params):
    """The inputs of each step, computed once."""
    fig = auto.predict(image)
    landmarks = fig.details["landmarks"]
    scale = work_scale(image.shape, model.work_side)
    small, work_figure = to_work(image, fig.mask, scale)
    work_landmarks = None if landmarks is None else landmarks.copy()
    if work_landmarks is not None:
        work_landmarks[:, :3] *= scale
    fs = pixel_features(small, work_figure, work_landmarks, model.priors, params)
    proba = L.region_mean(L.figure_regions(small, fs.index, fs.shape, params),
                          model.predict(fs))
    maps = L.probability_maps(fs, proba, params.smooth)
    labels = L.photo_labels(small, maps, image, fig.mask, params)
    items = I.parse_items(image, fig.mask, landmarks=landmarks,
                          probability=fig.details.get("probability"), colors=None)
    return {"small": small, "fs": fs, "maps": maps, "figure": fig.mask,
            "garment": labels == 1, "items": items}


def steps(params):
    """(name, old, new, compare) of each replaced step; old and new take (image, inputs)."""
    return [
        ("regions (Felzenszwalb)",
         lambda im, d: old_figure_regions(d["small"], d["fs"].index, d["fs"].shape, params),
         lambda im, d: L.figure_regions(d["small"], d["fs"].index, d["fs"].shape, params),
         _regions_diff),
        ("class maps to photo labels",
         lambda im, d: old_photo_labels(d["small"], d["maps"], im, d["figure"], params),
         lambda im, d: L.photo_labels(d["small"], d["maps"], im, d["figure"], params),
         _labels_diff),
        ("garment colours",
         lambda im, d: old_garment_colors(im, d["garment"]),
         lambda im, d: C.garment_colors(im, d["garment"]),
         _colours_diff),
        ("item map from logits",
         lambda im, d: old_items_from_logits(d["items"].logits, d["items"].affine, d["figure"]),
         lambda im, d: I.items_from_logits(d["items"].logits, d["items"].affine, d["figure"]),
         _item_map_diff),
        ("item colours",
         lambda im, d: old_item_colors(im, d["items"]),
         lambda im, d: I.item_colors(im, d["items"]).colors,
         _item_colours_diff),
    ]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ccp", type=int, default=0, help="also the first N CCP dev photos")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    photos = sorted((ROOT / "examples" / "photos").glob("*.jpg"))
    photos += sorted((DATA / "photos").glob("*.jpg"))[:args.ccp]
    auto, model, params = AutoMethod(soft=False), load_garment_model(), GarmentParams()
    table = steps(params)
    ms = {name: ([], []) for name, *_ in table}
    notes = {name: [] for name, *_ in table}
    for path in photos:
        image = read_image(path)
        inputs = prepare(image, auto, model, params)
        with one_thread():
            for name, old, new, compare in table:
                notes[name].append(f"{path.stem}: {compare(old(image, inputs), new(image, inputs))}")
                per = ([], [])
                for r in range(args.repeat):
                    for which in ((0, 1) if r % 2 == 0 else (1, 0)):
                        fn = (old, new)[which]
                        t = time.process_time()
                        fn(image, inputs)
                        per[which].append((time.process_time() - t) * 1000)
                ms[name][0].append(np.median(per[0]))
                ms[name][1].append(np.median(per[1]))
    print(f"# CPU ms per photo, one thread, medians over {len(photos)} photos "
          f"(each the median of {args.repeat} interleaved runs)")
    print(f"{'step':<28} {'old':>7} {'new':>7} {'new/old':>8}")
    total = [0.0, 0.0]
    for name, (old, new) in ms.items():
        o, n = float(np.median(old)), float(np.median(new))
        total[0] += o
        total[1] += n
        print(f"{name:<28} {o:7.1f} {n:7.1f} {n / o:8.2f}")
    print(f"{'all of them':<28} {total[0]:7.1f} {total[1]:7.1f} {total[1] / total[0]:8.2f}")
    for name, lines in notes.items():
        print(f"\n# {name}: what changed")
        for line in lines:
            print("  " + line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
