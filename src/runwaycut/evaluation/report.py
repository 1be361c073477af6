"""A self-contained HTML report of an evaluation: one file, images embedded.

The report holds the settings, a summary table (mean, median and pooled scores), a plot
of mean precision, recall and F1 against threshold, the distribution of per-photo F1
(and of the thresholds used, when they vary), the worst photos as thumbnails (photo,
truth, prediction, error map), and every photo's row. All images are PNGs embedded as
base64 ``data:`` URIs, so the file can be mailed or archived alone.
"""

from __future__ import annotations

import base64
import datetime
import html
from pathlib import Path

import numpy as np

from ..compose import overlay
from .evaluate import SUMMARY_SCORES, Evaluation, Thumbs
from ..io import encode_png, write_bytes_atomic
from ..scoring.labels import IGNORE

#: Display colours (RGB) of the four classes, and of the error map.
CLASS_COLORS = {"background": (40, 40, 48), "garment": (66, 114, 216),
                "skin_hair": (236, 200, 170), "accessory": (70, 180, 90), "figure": (230, 230, 230)}
ERROR_COLORS = {"true positive": (235, 235, 235), "false positive": (220, 50, 47),
                "false negative": (38, 139, 210), "true negative": (30, 30, 30),
                "not scored": (128, 128, 128)}

_CSS = """
body { font: 14px/1.45 system-ui, -apple-system, Segoe UI, sans-serif; margin: 24px auto;
       max-width: 1100px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; }
.meta { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.worst td, .worst th { vertical-align: top; text-align: center; }
.worst img { display: block; border: 1px solid #ccc; }
.legend span { display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 12px;
               vertical-align: -1px; border: 1px solid #999; }
.rows { font-size: 12px; } .bad { color: #b00; }
.warning { color: #8a4b00; background: #fff4e0; padding: 6px 10px; border-radius: 4px; }
img { max-width: 100%; height: auto; }
figure { margin: 8px 0; } figcaption { color: #555; font-size: 13px; }
"""


def render_report(evaluation: Evaluation, title: str | None = None) -> str:
    """The report as one HTML document (a string).

    Parameters
    ----------
    evaluation : Evaluation
        From :func:`runwaycut.evaluation.evaluate`.
    title : str, optional

    Returns
    -------
    html : str
    """
    ev = evaluation
    st, s = ev.settings, ev.summary
    title = title or f"runwaycut evaluation: {st.get('method')} on {Path(st.get('dataset', '')).name}"
    parts = [f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
             f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
             f"<h1>{_e(title)}</h1>",
             f"<p class='meta'>{_e(_settings_line(st))} · written "
             f"{datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}</p>"]
    parts.append("<h2>Summary</h2>")
    parts.append(f"<p>{s['scored']} of {s['photos']} photos scored, {s['failed']} failed, "
                 f"{s['skipped']} skipped (no label or no photo).</p>")
    parts.append(in_sample_note(st, s["scored"]))
    if s["scored"]:
        parts.append(_summary_table(s))
    plot = _curve_plot(ev)
    if plot is not None:
        parts.append("<h2>Scores against threshold</h2>")
        parts.append(_img_figure(plot, _curve_caption(ev)))
    dist = _distribution_plot(ev)
    if dist is not None:
        parts.append("<h2>Distribution over photos</h2>")
        parts.append(_img_figure(dist, "Per-photo F1 (left) and, when it varies, the "
                                       "threshold used (right)."))
    if ev.worst:
        parts.append(f"<h2>Worst {len(ev.worst)} photos</h2>")
        parts.append(_worst_table(ev))
    problems = [r for r in ev.rows if r["status"] != "ok"]
    if problems:
        parts.append("<h2>Skipped and failed</h2><table class='rows'><tr><th>id</th>"
                     "<th>status</th><th>reason</th></tr>")
        parts.extend(f"<tr><td>{_e(r['id'])}</td><td class='bad'>{_e(r['status'])}</td>"
                     f"<td style='text-align:left'>{_e(r['error'])}</td></tr>" for r in problems)
        parts.append("</table>")
    ok = sorted((r for r in ev.rows if r["status"] == "ok"), key=lambda r: r["f1"])
    if ok:
        cols = ("id", "threshold", "precision", "recall", "f1", "iou", "accuracy")
        parts.append("<h2>Every photo, worst F1 first</h2><table class='rows'><tr>"
                     + "".join(f"<th>{c}</th>" for c in cols) + "</tr>")
        parts.extend("<tr>" + "".join(f"<td>{_e(_fmt(r[c]))}</td>" for c in cols) + "</tr>"
                     for r in ok)
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def in_sample_note(settings: dict, scored: int) -> str:
    """The report's warning on photos scored in-sample (``settings["in_sample_photos"]``,
    set by ``runwaycut evaluate``), or ``""``."""
    n = settings.get("in_sample_photos") or 0
    if not n:
        return ""
    return (f"<p class='warning'>{n} of the {scored} photos scored are CCP development photos "
            "the shipped models this method uses were trained on: their scores are "
            "in-sample, higher than on new photos (<code>--unseen</code> scores only the "
            "others).</p>")


def write_report(evaluation: Evaluation, path: str | Path, title: str | None = None) -> Path:
    """Write :func:`render_report` to ``path`` atomically."""
    return write_bytes_atomic(path, render_report(evaluation, title).encode("utf-8"))


def _e(value) -> str:
    return html.escape("" if value is None else str(value))


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 10 else f"{value:g}"
    return str(value)


def _settings_line(st: dict) -> str:
    bits = [f"data set {st.get('dataset')} ({st.get('layout')} layout)",
            f"target {st.get('target')}", f"method {st.get('method')}",
            f"threshold {st.get('threshold')}"]
    if st.get("band"):
        bits.append(f"{st['band']} band")
    if st.get("smoothing"):
        bits.append("+1 smoothing")
    return " · ".join(bits)


def _summary_table(s: dict) -> str:
    rows = ["<table><tr><th>score</th><th>mean</th><th>median</th>"
            "<th title='scores of the confusion counts summed over all photos'>pooled</th></tr>"]
    for k in SUMMARY_SCORES:
        rows.append(f"<tr><td>{k}</td><td>{s['mean'][k]:.4f}</td><td>{s['median'][k]:.4f}</td>"
                    f"<td>{s['pooled'][k]:.4f}</td></tr>")
    if "threshold" in s["mean"]:
        rows.append(f"<tr><td>threshold</td><td>{s['mean']['threshold']:.4g}</td>"
                    f"<td>{s['median']['threshold']:.4g}</td><td></td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _png_uri(rgb: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(encode_png(rgb)).decode("ascii")


def _img_figure(png: bytes, caption: str) -> str:
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return f"<figure><img src='{uri}' alt='{_e(caption)}'><figcaption>{_e(caption)}</figcaption></figure>"


def _new_figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _figure_png(fig) -> bytes:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


def _curve_plot(ev: Evaluation) -> bytes | None:
    c = ev.curve
    if c is None:
        return None
    t = c.thresholds
    # Show the useful range: up to where the mean recall falls below 1%, at least 3 steps.
    keep = np.flatnonzero(c.mean["recall"] >= 0.01)
    hi = len(t) if keep.size == 0 else min(len(t), max(int(keep[-1]) + 2, 4))
    fig = _new_figure(7.5, 4.0)
    ax = fig.add_subplot(1, 1, 1)
    styles = {"precision": ("#2a9d8f", "-"), "recall": ("#e76f51", "-"), "f1": ("#264653", "-")}
    for k, (colour, ls) in styles.items():
        ax.plot(t[:hi], c.mean[k][:hi], color=colour, ls=ls, lw=1.6, label=f"mean {k} (raw colour mask)")
    if "figure_f1" in c.mean:
        ax.plot(t[:hi], c.mean["figure_f1"][:hi], color="#8e44ad", lw=2.2,
                label="mean F1 of the figure (after figure selection)")
        i = int(np.nanargmax(c.mean["figure_f1"][:hi]))
        ax.axvline(t[i], color="#8e44ad", ls=":", lw=1)
    thr = ev.summary.get("median", {}).get("threshold")
    fixed = _fixed_threshold(ev)
    if fixed is not None:
        ax.axvline(fixed, color="#444", ls="--", lw=1, label=f"threshold used ({fixed:g})")
    elif thr is not None:
        ax.axvline(thr, color="#444", ls="--", lw=1, label=f"median threshold used ({thr:.3g})")
    ax.set_xlabel(f"threshold ({c.band} band)")
    ax.set_ylabel("score")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.set_title(f"Mean over {c.photos} photos")
    return _figure_png(fig)


def _curve_caption(ev: Evaluation) -> str:
    text = ("Mean precision, recall and F1 of the raw colour mask (before figure selection) "
            "at every threshold, from the exact sweep of each photo.")
    if ev.curve is not None and "figure_f1" in ev.curve.mean:
        text += (" The purple curve is the mean F1 of the selected figure (largest region, "
                 "holes filled) at every threshold; its peak (dotted) is the best single "
                 "threshold for the whole set.")
    return text


def _fixed_threshold(ev: Evaluation) -> float | None:
    values = {r["threshold"] for r in ev.rows if r["status"] == "ok" and r["threshold"] is not None}
    return values.pop() if len(values) == 1 else None


def _distribution_plot(ev: Evaluation) -> bytes | None:
    ok = [r for r in ev.rows if r["status"] == "ok"]
    if not ok:
        return None
    thresholds = [r["threshold"] for r in ok if r["threshold"] is not None]
    varies = len(set(thresholds)) > 1
    from matplotlib.ticker import MaxNLocator

    fig = _new_figure(9 if varies else 4.5, 3.2)
    ax = fig.add_subplot(1, 2 if varies else 1, 1)
    ax.hist([r["f1"] for r in ok], bins=np.linspace(0, 1, 21), color="#264653")
    ax.set_xlabel("F1")
    ax.set_ylabel("photos")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if varies:
        ax2 = fig.add_subplot(1, 2, 2)
        ax2.hist(thresholds, bins=30, color="#8e44ad")
        ax2.set_xlabel("threshold used")
    return _figure_png(fig)


def _class_image(th: Thumbs) -> np.ndarray:
    out = np.full(th.classes.shape + (3,), ERROR_COLORS["not scored"], np.uint8)
    for i, name in enumerate(th.names):
        out[th.classes == i] = CLASS_COLORS.get(name, (200, 200, 200))
    out[th.classes == IGNORE] = ERROR_COLORS["not scored"]
    return out


def error_map(truth: np.ndarray, prediction: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """Colour picture of agreement: true/false positives and negatives (:data:`ERROR_COLORS`).

    Parameters
    ----------
    truth, prediction : (H, W) bool arrays
    valid : (H, W) bool array, optional

    Returns
    -------
    picture : (H, W, 3) uint8 RGB array
    """
    out = np.empty(truth.shape + (3,), np.uint8)
    out[truth & prediction] = ERROR_COLORS["true positive"]
    out[~truth & prediction] = ERROR_COLORS["false positive"]
    out[truth & ~prediction] = ERROR_COLORS["false negative"]
    out[~truth & ~prediction] = ERROR_COLORS["true negative"]
    if valid is not None:
        out[~valid] = ERROR_COLORS["not scored"]
    return out


def _legend(colours: dict) -> str:
    return "<p class='legend'>" + "".join(
        f"<span style='background: rgb{tuple(c)}'></span>{_e(n)}" for n, c in colours.items()) + "</p>"


def _worst_table(ev: Evaluation) -> str:
    rows_by_id = {r["id"]: r for r in ev.rows}
    names = ev.worst[0].names
    parts = [_legend({n: CLASS_COLORS.get(n, (200, 200, 200)) for n in names}),
             _legend(ERROR_COLORS),
             "<p>Prediction: removed pixels painted neon green, as the design note shows them.</p>",
             "<table class='worst'><tr><th>photo</th><th>truth (classes)</th><th>prediction</th>"
             "<th>error map</th><th>scores</th></tr>"]
    for th in ev.worst:
        r = rows_by_id.get(th.id, {})
        cells = [_png_uri(th.photo), _png_uri(_class_image(th)),
                 _png_uri(overlay(th.photo, th.prediction)),
                 _png_uri(error_map(th.truth, th.prediction, th.valid))]
        labels = ("photo", "truth", "prediction", "error map")
        imgs = "".join(f"<td><img src='{u}' alt='{_e(th.id)} {l}'></td>" for u, l in zip(cells, labels))
        score = "<br>".join(f"{k} {_fmt(r.get(k))}" for k in ("f1", "precision", "recall", "threshold"))
        parts.append(f"<tr>{imgs}<td style='text-align:left'><b>{_e(th.id)}</b><br>{score}</td></tr>")
    parts.append("</table>")
    return "\n".join(parts)
