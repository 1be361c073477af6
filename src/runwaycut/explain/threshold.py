"""An explanation panel: how ``--threshold auto`` chose the photo's threshold.

Added to ``runwaycut explain``'s figure (see :mod:`runwaycut.explain`, whose panels are
any object with ``title``, ``width(ex)`` and ``draw(subfig, ex)``) when the threshold
comes from ``--threshold auto``: the person rule's agreement curve where the person
models find someone, otherwise (and for ``--model FILE``) the model's predicted threshold
and the features that drove it.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import SubFigure

from ..threshold.rules import ModelRule, person_rule_threshold
from ..threshold.model import Prediction, ThresholdModel, get_model


def explain_prediction(image: np.ndarray, palette, distance: np.ndarray | None,
                       model: ThresholdModel) -> Prediction:
    """The model's prediction for a photo and each feature's share in it.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
    palette : Palette
        The photo's sampled palette.
    distance : (H, W) uint8 array or None
        Its absolute-band distance map (computed when None or relative).
    model : ThresholdModel
        A ``photo+person`` model runs the person models; where they find no one, its
        photo-only fallback is explained.

    Returns
    -------
    prediction : Prediction
        ``threshold``, ``bias`` (the training mean) and per-feature ``contributions``
        that add up to the raw prediction (the threshold, or for a ``photo+person``
        model the correction to the person threshold ``base``).
    """
    return model.explain_image(image, palette, distance)


class ThresholdPanel:
    """The predicted threshold, as training mean + the largest feature shares.

    Parameters
    ----------
    model_path : str, optional
        Model to explain when the explanation's threshold rule is not a model
        (default: the shipped one).
    top : int
        Number of features shown.
    """

    title = "Predicted threshold"

    def __init__(self, model_path: str | None = None, top: int = 8):
        self.model_path = model_path
        self.top = top

    def width(self, ex) -> float:
        return 1.5

    def _model(self, ex) -> ThresholdModel:
        rule = ex.method.threshold_rule
        return rule.model() if isinstance(rule, ModelRule) else get_model(self.model_path)

    def draw(self, fig: SubFigure, ex) -> None:
        distance = ex.result.distance if ex.result.distance.dtype == np.uint8 else None
        rule = ex.method.threshold_rule
        if isinstance(rule, ModelRule) and rule.person_first:
            from ..note.colormask import distance_map

            if distance is None:
                distance = distance_map(ex.image, ex.result.palette.colors, "absolute")
            sweep = rule.person_sweep(ex.image, distance)
            if sweep.found:
                self._draw_person_rule(fig, sweep)
                return
        p = explain_prediction(ex.image, ex.result.palette, distance, self._model(ex))
        top = p.top(self.top)[::-1]  # largest at the top of the chart
        ax = fig.add_subplot()
        shares = [share for _, _, share in top]
        colours = ["#c0392b" if s > 0 else "#2e86c1" for s in shares]
        ax.barh(range(len(top)), shares, color=colours)
        ax.set_yticks(range(len(top)),
                      [f"{name} = {value:.3g}" for name, value, _ in top], fontsize=6.5)
        ax.axvline(0, color="black", linewidth=0.6)
        ax.tick_params(axis="x", labelsize=6)
        rest = p.raw - p.bias - sum(shares)
        total = (f"training mean {p.bias:.1f} + shown {sum(shares):+.1f} "
                 f"+ other features {rest:+.1f} = {p.raw:.1f}")
        if p.target == "person-offset":  # the forest corrects the person rule's threshold
            total = (f"correction to the person rule's t = {p.base:g}:\n{total}, "
                     f"kept as {p.threshold - p.base:+g}")
        else:
            total += "\n(photo features only)"
        ax.set_xlabel(f"share of the prediction, levels (red: raises t, blue: lowers it)\n"
                      + total, fontsize=7)
        ax.set_title(f"model predicts t = {p.threshold:g}", fontsize=8)

    @staticmethod
    def _draw_person_rule(fig: SubFigure, sweep) -> None:
        """The person rule: agreement of the figure with the person mask at each level."""
        t = person_rule_threshold(sweep)
        ax = fig.add_subplot()
        ax.plot(np.arange(len(sweep.agreement)), sweep.agreement, color="#2e86c1")
        ax.axvline(t, color="#c0392b", linewidth=0.8)
        ax.set_xlabel("threshold (levels)\nF1 of the figure against the person mask",
                      fontsize=7)
        ax.tick_params(labelsize=6)
        ax.set_title(f"person rule picks t = {t:g}", fontsize=8)


__all__ = ["ThresholdPanel", "explain_prediction"]
