"""The person in a photo, by the shipped neural models, and what is built on it.

    segmenter    MediaPipe's selfie segmenter and BlazePose (LiteRT): probability, box, pose
    band         the uncertain band around the person's boundary; crops around it for
                 local filters
    fusion       the person mask weighed against colours and edges by a small MLP
    matting      guided filter, soft alpha, foreground colours, guided upsampling
                 (full-size work by strips of rows)
    resample     rows or scattered pixels of a bilinear resize, from the source
                 pixels they read

The model files and their checks live in :mod:`runwaycut.models`.
"""

from .fusion import BandParams, band_features, band_mask, fused_probability, load_fusion_model
from .matting import (MattingParams, alpha_from_mask, estimate_foreground, guided_filter,
                      guided_upsample)
from .segmenter import (LANDMARK_NAMES, PersonEstimate, PersonParams, PersonSegmenter, Pose,
                        face_box, landmark, person_box)

__all__ = ["BandParams", "LANDMARK_NAMES", "MattingParams", "PersonEstimate", "PersonParams",
           "PersonSegmenter", "Pose", "alpha_from_mask", "band_features", "band_mask",
           "estimate_foreground", "face_box", "fused_probability", "guided_filter",
           "guided_upsample", "landmark", "load_fusion_model", "person_box"]
