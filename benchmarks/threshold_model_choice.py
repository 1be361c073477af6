"""Which threshold model: the cross-validated comparison behind the shipped choice.

On a labelled set (default ``../shared/data/ccp``), with the records ``runwaycut train``
computes and caches (features, figure-F1 curve at thresholds 0..80, person agreement),
k-fold cross-validation (same folds for all) of:

* regression (extremely randomised trees) on the raw best threshold, on its log, and on
  the argmax of the F1 curve smoothed by a Gaussian of 2, 3 or 4 levels (shipped: 3);
* gradient boosting (Huber loss) on the smoothed target;
* classification over 5-level threshold bins: most likely bin, or the bin mix that
  maximises the expected F1 (class-probability-weighted mean training curves);
* regression of the whole F1 curve (multi-output trees), then its argmax;
* with the person features too (``photo+person``, :func:`runwaycut.threshold.features.person_features`):
  the person rule alone (no training); trees on the raw best threshold and on the
  smoothed target, on photo+person and on person features only; and trees on the
  *offset* of the best threshold from the person rule's, 5 to 160 photos a leaf, the
  offset rounded to nearest or toward zero (shipped: 80 a leaf, toward zero), with the
  number of photos it moved off the person threshold, for worse and for better;
* for reference: each photo's best threshold (ceiling), and an oracle that knows each
  photo's smoothed target exactly (the most a perfect predictor of it could reach).

Prints mean figure F1 and its share of the ceiling. About a minute once the records are
cached (the first run computes them: a few minutes).

Usage::

    python benchmarks/threshold_model_choice.py [DATASET] [--folds 5]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor, GradientBoostingRegressor
from sklearn.model_selection import KFold

from runwaycut.threshold.model import PERSON_PARAMS, ModelParams
from runwaycut.threshold.training.fit import curve_target
from runwaycut.threshold.training.collect import collect
from runwaycut.threshold.training.crossval import person_thresholds

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / ".." / "shared" / "data" / "ccp"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    data = collect(args.dataset, workers=len(os.sched_getaffinity(0)))
    x, c, agree = data.features, data.curves, data.agreement
    n, t_max = c.shape[0], c.shape[1] - 1
    rows = np.arange(n)
    ceiling = c.max(axis=1).mean()
    folds = list(KFold(args.folds, shuffle=True, random_state=args.seed).split(x))
    p = ModelParams()

    def trees(leaf=p.min_samples_leaf, **kw):
        return ExtraTreesRegressor(n_estimators=p.n_estimators, min_samples_leaf=leaf,
                                   random_state=args.seed, n_jobs=1, **kw)

    def score(chosen) -> float:
        return float(c[rows, np.clip(np.round(chosen), 0, t_max).astype(int)].mean())

    def predict(features, target, make=trees):
        out = np.zeros(n)
        for train, test in folds:
            out[test] = make().fit(features[train], target[train]).predict(features[test])
        return out

    def regress(features, target, make=trees, inverse=lambda v: v):
        return score(inverse(predict(features, target, make)))

    def classify(width=5):
        labels = np.minimum(c.argmax(1) // width, t_max // width)
        top, expected = np.zeros(n), np.zeros(n)
        for train, test in folds:
            m = ExtraTreesClassifier(n_estimators=p.n_estimators, min_samples_leaf=3,
                                     random_state=args.seed, n_jobs=1).fit(x[train], labels[train])
            prob = m.predict_proba(x[test])
            top[test] = np.minimum(m.classes_[prob.argmax(1)] * width + width // 2, t_max)
            mean_curves = np.array([c[train][labels[train] == k].mean(0) for k in m.classes_])
            expected[test] = (prob @ mean_curves).argmax(1)
        return score(top), score(expected)

    def curve_regression():
        out = np.zeros(n)
        for train, test in folds:
            out[test] = trees().fit(x[train], c[train]).predict(x[test]).argmax(1)
        return score(out)

    best = c.argmax(1).astype(float)
    results = [("ceiling: each photo's best threshold", ceiling)]
    for s in (2, 3, 4):
        oracle = curve_target(c, s)
        results.append((f"oracle: exact smoothed target (sigma {s})", score(oracle)))
    results.append(("fixed default t = 20", float(c[:, 20].mean())))
    results.append(("trees on raw best t", regress(x, best)))
    results.append(("trees on log(1 + best t)", regress(x, np.log1p(best), inverse=np.expm1)))
    for s in (2, 3, 4):
        mark = "  (shipped)" if s == p.smoothing else ""
        results.append((f"trees on smoothed target, sigma {s}{mark}",
                        regress(x, curve_target(c, s))))
    results.append(("gradient boosting (Huber) on sigma 3", regress(
        x, curve_target(c, 3), make=lambda: GradientBoostingRegressor(
            n_estimators=150, max_depth=3, learning_rate=0.05, subsample=0.8, loss="huber",
            random_state=args.seed))))
    top, expected = classify()
    results.append(("classes of 5 levels: most likely bin", top))
    results.append(("classes of 5 levels: max expected F1", expected))
    results.append(("whole F1 curve (multi-output trees), argmax", curve_regression()))
    notes = {}
    if data.found.all():
        pt = person_thresholds(data)
        rule = c[rows, pt.astype(int)]
        results.append(("person rule (agreement argmax), no training", score(pt)))
        xp = data.features_of("photo+person")
        xo = data.person_features()
        for name, feats in (("photo+person", xp), ("person only", xo)):
            results.append((f"trees on {name}, raw best t", regress(feats, best)))
            results.append((f"trees on {name}, sigma 3", regress(feats, curve_target(c, 3))))
        for leaf in (5, 20, 80, 160):
            offset = predict(xp, best - pt, make=lambda: trees(leaf))
            for how, fn in (("nearest", np.round), ("toward 0", np.fix)):
                chosen = np.clip(pt + fn(offset), 0, t_max).astype(int)
                mark = ("  (shipped)" if leaf == PERSON_PARAMS.min_samples_leaf
                        and how == "toward 0" else "")
                label = f"offset from person t, leaf {leaf}, {how}{mark}"
                results.append((label, score(chosen)))
                f = c[rows, chosen]
                notes[label] = (f"moved {np.count_nonzero(chosen != pt)}: "
                                f"{np.count_nonzero(f < rule - 1e-12)} worse, "
                                f"{np.count_nonzero(f > rule + 1e-12)} better")
    elif agree.any():
        print("some photos have no person: person rows left out (their fallback differs)")
    print(f"{n} photos, {args.folds}-fold CV, mean figure F1 (share of ceiling)")
    for name, value in results:
        print(f"  {name:62s} {value:.4f}  ({value / ceiling:6.1%})  {notes.get(name, '')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
