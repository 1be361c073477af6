"""Scoring masks against hand labels, and each photo's best threshold.

    labels       labelled sets: which photos and label files, in three layouts
    label_files  the label files: CCP ``.mat``, colour-coded ``-seg.jpg``, binary masks
    metrics      precision, recall, F1, IoU; confusion matrices; per-class IoU
    tuning       exact threshold sweeps (every threshold at once) and the original's search

Evaluating a whole method over a labelled set is :mod:`runwaycut.evaluation.evaluate`, one layer up
(it needs the threshold rules and the garment step).
"""

from .labels import CLASS_NAMES, Dataset, LabelledPhoto, LabelMap, load_item, open_dataset, read_label
from .metrics import (Confusion, class_confusion_matrix, confusion, mask_scores, mean_iou,
                      per_class_iou, scores)
from .tuning import BestThreshold, best_over_seeds, best_threshold, coarse_to_fine, sweep

__all__ = ["BestThreshold", "CLASS_NAMES", "Confusion", "Dataset", "LabelMap", "LabelledPhoto",
           "best_over_seeds", "best_threshold", "class_confusion_matrix", "coarse_to_fine",
           "confusion", "load_item", "mask_scores", "mean_iou", "open_dataset",
           "per_class_iou", "read_label", "scores", "sweep"]
