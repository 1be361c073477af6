"""``runwaycut train``: fit the threshold model on a labelled set, with k-fold CV."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.console import Console
from rich.table import Table

from ..threshold.face_ratio import person_models_available
from ..scoring.heldout import without_heldout
from ..scoring.labels import open_dataset
from ..models import refresh_if_shipped
from ..threshold.model import PERSON_PARAMS, ModelParams, save_model
from ..threshold.training.collect import collect
from ..threshold.training.crossval import cross_validate, train_model
from ._app import Command, app
from ._common import console, fail, reports_errors, say

_ROW_NAMES = {"default": "fixed default (t = 20)", "otsu": "Otsu on the distance map",
              "face-ratio": "face-ratio window (10-30 faces)",
              "person": "person rule (person-mask agreement)",
              "photo-model": "photo-only model (--no-person)",
              "model": "model (predicted t)", "ceiling": "each photo's best t (ceiling)"}


#: Folds of the cross-validation ``runwaycut train`` runs unless told otherwise.
DEFAULT_FOLDS = 5


@app.command(cls=Command)
@reports_errors
def train(
    dataset: Path = typer.Argument(
        ..., metavar="DATASET",
        help="Labelled set: CCP layout, colour-coded "
             "-seg.jpg, or photos with binary masks."),
    out: Path = typer.Option(..., "--out", "-o", help="Model file to write (JSON)."),
    cv: Optional[int] = typer.Option(
        None, "--cv", min=0, metavar="K",
        help=f"K-fold cross-validation table, printed and recorded in the model (default "
             f"{DEFAULT_FOLDS} when the set has at least {DEFAULT_FOLDS} photos; 0: none)."),
    seed: int = typer.Option(0, help="Random state of the model and of the CV folds."),
    trees: int = typer.Option(ModelParams.n_estimators, min=1, help="Trees of each forest."),
    min_leaf: int = typer.Option(ModelParams.min_samples_leaf, min=1,
                                 help="Fewest photos in a leaf of the photo-only forest."),
    person_min_leaf: int = typer.Option(PERSON_PARAMS.min_samples_leaf, min=1,
                                        help="Fewest photos in a leaf of the forest that "
                                             "corrects the person rule."),
    curve_smoothing: float = typer.Option(
        ModelParams.smoothing, "--curve-smoothing", min=0.0, metavar="LEVELS",
        help="Width (Gaussian sigma, in threshold levels) by which each photo's F1 curve is "
             "smoothed before its best threshold becomes the photo-only forest's target. "
             "(Not evaluate's --smoothing, the original's +1.)"),
    person: bool = typer.Option(True, "--person/--no-person",
                                help="--person (default): a model reading the person models "
                                     "too (about 0.15 s a photo), with the face-ratio and "
                                     "person baselines. --no-person: a photo-only model "
                                     "(a few ms a photo)."),
    workers: Optional[int] = typer.Option(None, "--workers", "-j", min=1,
                                          help="Processes (default: the cores available)."),
    cache: Optional[Path] = typer.Option(None, help="Folder caching each photo's sweep "
                                                    "(default: a folder in the temp dir)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Compute every sweep afresh."),
    include_heldout: bool = typer.Option(
        False, "--include-heldout",
        help="Train on CCP's 30 held-out dev photos too (left out by default, so that "
             "quality is measured on photos the model never saw; recorded in the model)."),
) -> None:
    """Train the threshold model on DATASET and write it to --out.

    Each labelled photo's figure F1 is swept over thresholds 0..80 (cached, with the
    person models' answer), the model is fitted on every photo, and the table of mean
    figure F1 under K-fold cross-validation is printed (and recorded in the model):
    fixed default, Otsu, face-ratio, person rule, photo-only model, the model, and each
    photo's best threshold. CCP's 30 held-out dev photos (runwaycut.scoring.heldout)
    are left out unless --include-heldout. The same data, seed and options give the same
    file on the same machine: the shipped one is `runwaycut train ../shared/data/ccp --out
    MODEL` (--threshold auto uses its photo-only fallback where no person is found, and
    the person rule elsewhere); use a model with --threshold auto --model MODEL.
    """
    params = ModelParams(n_estimators=trees, min_samples_leaf=min_leaf, smoothing=curve_smoothing,
                         seed=seed)
    person_params = ModelParams(n_estimators=trees, min_samples_leaf=person_min_leaf,
                                smoothing=PERSON_PARAMS.smoothing, seed=seed,
                                target=PERSON_PARAMS.target)
    if cv == 1:
        raise fail("--cv needs at least 2 folds (or 0 for none)")
    data_set, left_out = open_dataset(dataset), ()
    if not include_heldout:
        data_set, left_out = without_heldout(data_set)
    if not data_set.complete:
        raise fail(f"{dataset}: no photo with a label to train on")
    if person and not person_models_available():
        say("the person models are not available: training a photo-only model, without "
            "the face-ratio and person baselines", "warning:", "yellow")
        person = False
    n_workers = workers or len(os.sched_getaffinity(0))
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                  transient=True) as progress:
        task = progress.add_task("sweeping thresholds", total=len(data_set.complete))
        data = collect(data_set, max_threshold=params.max_threshold, person=person,
                       cache_dir=cache, use_cache=not no_cache, workers=n_workers,
                       progress=lambda done, total: progress.update(task, completed=done))
    if data.skipped:
        say(f"skipped {len(data.skipped)} photos without photo or label: "
            + ", ".join(data.skipped[:10]) + (" ..." if len(data.skipped) > 10 else ""))
    result = None
    if cv is None:
        cv = DEFAULT_FOLDS if len(data) >= DEFAULT_FOLDS else 0
    if cv:
        if cv > len(data):
            raise fail(f"--cv {cv} needs at least {cv} labelled photos; {dataset} has {len(data)}")
        result = cross_validate(data, params, folds=cv, seed=seed,
                                person_params=person_params, person=person)
        table = Table(title=f"{cv}-fold cross-validation, {len(data)} photos, mean figure F1")
        for column in ("threshold rule", "mean F1", "median F1", "of ceiling"):
            table.add_column(column, justify="left" if column == "threshold rule" else "right")
        for row in result.table():
            table.add_row(_ROW_NAMES[row["rule"]], f"{row['mean_f1']:.4f}",
                          f"{row['median_f1']:.4f}", f"{row['of_ceiling']:.1%}")
        Console().print(table)  # the table is the result: stdout
    model = train_model(data, params, person_params=person_params, person=person,
                        source=data_set.root.name, cv=result)
    model.training["heldout_left_out"] = list(left_out)
    save_model(model, out)
    refresh_if_shipped(out)  # the shipped model retrained: its checksum follows
    if model.needs_person:
        what = (f"photo+person model ({model.training['photos_with_person']} photos with a "
                f"person) with a photo-only fallback")
    else:
        what = "photo-only model"
    say(f"wrote {out}: {what}, {params.n_estimators} trees a forest, {len(data)} photos")
