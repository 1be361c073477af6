"""A method over a labelled set: per-photo scores, means, tuning, the HTML report.

    evaluate     run a figure method (and the garment step) on every labelled photo
    report       a self-contained HTML report of an evaluation
"""

from .evaluate import ROW_COLUMNS, SUMMARY_SCORES, Evaluation, evaluate, tune, write_csv
from .report import render_report, write_report

__all__ = ["Evaluation", "ROW_COLUMNS", "SUMMARY_SCORES", "evaluate", "render_report", "tune",
           "write_csv", "write_report"]
