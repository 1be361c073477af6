"""Isolating the garment: a four-class label map from a photo and its figure mask.

The design note's final goal is the garment. Its author labelled photos into four
classes (background, garment, skin+hair, accessories) and began removing skin with a
colour palette sampled from the face that a Haar cascade found. This module finishes
that road, starting from any figure mask (:data:`runwaycut.methods.METHODS`):

1. **Working size.** The photo and its figure mask are reduced so that the long side
   is the model's ``work_side`` (416 pixels).
2. **Body frame.** The BlazePose landmarks of :mod:`runwaycut.person.segmenter` (the person and
   auto backends pass theirs on; otherwise :func:`detect_pose` runs the models) say
   where the head, arms, hands, torso, legs and feet are, and the face box. Without a
   pose (no person found), the training photos' median pose, stretched over the
   figure's bounding box, stands in.
3. **Colour models of this photo.** A *skin* model (mean and covariance in Lab) sampled
   from the middle of the face, as the original sampled its skin palette from the
   face box; a *hair* colour from the figure above and beside the face; the *torso*
   and *leg* colours (where garments usually are). Without a face, the skin and hair
   models are the training photos' means.
4. **Per-pixel features** of every figure pixel (:data:`FEATURE_NAMES`): Lab colour
   (raw, smoothed, and averaged over a wider area), texture and edge strength, the
   Mahalanobis distance to the face's skin model and the difference from its mean,
   distances to the hair, torso and leg colours, height on the body, distances to the
   head and to each limb segment (in torso lengths), distance to the figure's outline.
5. **Classifier.** A multilayer perceptron (two hidden layers of 64), shipped as JSON
   (``data/garment_model.json``, trained by ``benchmarks/train_garment.py`` on the CCP
   dev photos), gives each figure pixel the probabilities of garment, skin+hair and
   accessory.
6. **Regions and edges.** Each pixel takes the mean probabilities of its colour region
   (Felzenszwalb-Huttenlocher segmentation of the figure), lightly smoothed; a guided
   filter steered by the full-size photo brings them back to its size, and each figure
   pixel takes the likeliest class. Pixels outside the figure mask are background.

Scored by ``benchmarks/bench_garment.py`` (5-fold cross-validation by photo on the 470
CCP training photos, the dev photos less the 30 held out; garment positive): mean garment
F1 0.923 on the hand-labelled figure (whole figure called garment: 0.808), 0.912 on the
auto backend's figure made by the fusion fold model that did not see the photo (0.799).
On 24 held-out photos (``benchmarks/heldout_quality.py``): mean 0.930, median 0.952
(whole figure 0.836 / 0.861).

Outputs
-------
:func:`label_garment` returns a :class:`GarmentResult`; :func:`labels_png` encodes its
map as an indexed PNG with the fixed palette :data:`LABEL_PALETTE` (the original
author's colour code: background red, garment blue, skin+hair white, accessories green,
so that ``runwaycut evaluate`` reads its RGB version back as ``seg`` labels);
:func:`garment_cutout` makes the RGBA cutout of the garment alone.
:class:`GarmentMethod` wraps a figure backend for ``--target garment``, and
:func:`garment_blobs` encodes its files (``<stem>.labels.png``, ``<stem>.garment.png``,
``<stem>.colors.json``).

Modules
-------
    types        classes, palette, parameters and result types
    body         the pose's body frame; skin and hair colour models sampled from the face
    features     per-pixel features (colour, texture, skin distance, geometry)
    model        the pixel MLP (JSON weights, ``data/garment_model.json``)
    labelmap     photo + figure mask -> label map (:func:`label_garment`)
    guided       class maps to the photo's size along its edges (guided filter, figure box only)
    outputs      label PNG, garment cutout, :class:`GarmentMethod`, :func:`garment_blobs`
    colors       the garment's dominant colours, named
    training     fitting the MLP (training only: not imported at inference)

The outfit item by item (14 items: skin, hair, top, outerwear, dress, skirt, pants,
shorts, legwear, shoes, bag, headwear, accessory; ``--target items``):

    items_inputs    the item network's input window (photo, figure, body-part maps)
    items_model     the item network (ONNX, 8-bit ``models/items_int8.onnx``, run by onnxruntime)
    items           :func:`parse_items`: photo (+ figure, pose) -> item map, masks, colours
    items_fusion    the item network and the pixel classifier together (one item map, one four-class map)
    items_outputs   ``<stem>.items.png``, ``.items.json``, per-item cutouts; :class:`ItemsMethod`
    items_training  training the network (PyTorch; training only)
"""

from .colors import ColorParams, GarmentColor, colors_json, garment_colors, name_color
from .features import FeatureSet, GarmentPriors, pixel_features, to_work, work_scale
from .labelmap import (DETECT, detect_pose, figure_regions, label_figure_result, label_garment,
                       label_map, probability_maps)
from .model import MLP, GarmentModel, load_garment_model
from .outputs import (GARMENT_SUFFIXES, GarmentMethod, garment_blobs, garment_cutout, labels_png,
                      labels_rgb)
from .items import ITEM_TO_CLASS, ItemsResult, parse_items
from .items_outputs import ITEM_PALETTE, ItemsMethod, items_blobs, items_json, items_png
from .types import (ACCESSORY, BACKGROUND, FEATURE_NAMES, FIGURE_CLASSES, GARMENT, LABEL_PALETTE,
                    SKIN_HAIR, BodyFrame, ColourModel, GarmentParams, GarmentResult)

__all__ = ["ITEM_PALETTE", "ITEM_TO_CLASS", "ItemsMethod", "ItemsResult",
           "items_blobs", "items_json", "items_png", "parse_items",
           "ACCESSORY", "BACKGROUND", "BodyFrame", "ColorParams", "ColourModel", "DETECT",
           "FEATURE_NAMES", "FIGURE_CLASSES", "FeatureSet", "GARMENT", "GARMENT_SUFFIXES",
           "GarmentColor", "GarmentMethod", "GarmentModel", "GarmentParams", "GarmentPriors",
           "GarmentResult", "LABEL_PALETTE", "MLP", "SKIN_HAIR", "colors_json", "detect_pose",
           "figure_regions", "garment_blobs", "garment_colors", "garment_cutout",
           "label_figure_result", "label_garment", "label_map", "labels_png", "labels_rgb",
           "load_garment_model", "name_color", "pixel_features", "probability_maps", "to_work",
           "work_scale"]
