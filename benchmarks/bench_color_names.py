"""Colour names against the XKCD colour survey (issue 13, point 17): before and after.

The garment's colours are named by the nearest entry of a name table
(:data:`runwaycut.garment.colors.COLOR_NAMES`). This script measures, in one run, how
often the *family* of that name (one of the eleven basic colour terms) agrees with the
family the XKCD survey's own name says (:mod:`runwaycut.evaluation.color_names`), for
the survey colours as shown and shaded as a fabric in shadow (60% and 35% of the light),
for two namers:

* before: the 47-name table with CIEDE2000 at ``kL = 1`` (runwaycut before point 17);
* after: the current table and ``kL`` (:func:`runwaycut.garment.colors.name_color`).

"held out" leaves out the survey colours whose values the table took for its new
entries, so that no entry is scored on itself. It also prints how a few light, muted
colours (a lilac, an ivory) are named as they are shaded.

    python benchmarks/bench_color_names.py
"""

from __future__ import annotations

import numpy as np
from skimage.color import deltaE_ciede2000

from runwaycut.evaluation.color_names import family_agreement, shade, survey_families
from runwaycut.garment.colors import COLOR_NAMES, NAME_KL, name_color, rgb_to_lab

#: Names added to the table by point 17, and the survey names whose values they took.
ADDED = ("lilac", "violet", "dark purple", "magenta", "cobalt", "electric blue",
         "powder blue", "off-white", "gold")
SURVEY_TAKEN = ("violet", "dark purple", "magenta", "cobalt", "electric blue", "powder blue",
                "off white", "gold")

#: Light, muted garment colours and what they are called by people who name fabrics.
EXAMPLES = {"#c8a2c8": "lilac", "#b9a9c4": "lilac (muted)", "#fffff0": "ivory",
            "#f2efe6": "ivory (warm)", "#1e488f": "cobalt", "#9a0eea": "violet"}


def table_namer(table, k_l: float):
    """name_color over another table and kL."""
    labs = rgb_to_lab(np.array([[int(h[i:i + 2], 16) for i in (1, 3, 5)] for _, _, h in table],
                               np.uint8)).astype(np.float64)

    def name(lab):
        d = deltaE_ciede2000(np.broadcast_to(np.asarray(lab, np.float64), labs.shape), labs,
                             kL=k_l)
        n, family, _ = table[int(np.argmin(d))]
        return n, family

    return name


def main() -> None:
    before = table_namer(tuple(e for e in COLOR_NAMES if e[0] not in ADDED), 1.0)
    namers = {"before (47 names, kL=1)": before,
              f"after ({len(COLOR_NAMES)} names, kL={NAME_KL:g})": name_color}
    sets = {"all": survey_families(), "held out": survey_families(exclude=SURVEY_TAKEN)}
    lights = (1.0, 0.6, 0.35)
    print("family agreement with the XKCD survey (share of colours)")
    print(f"{'namer':28s} {'set':9s} {'n':>4s} " + " ".join(f"light {x:<4g}" for x in lights))
    for label, namer in namers.items():
        for set_name, colours in sets.items():
            shares = [family_agreement(colours, x, namer) for x in lights]
            print(f"{label:28s} {set_name:9s} {shares[0].total:4d} "
                  + " ".join(f"{s.share:10.1%}" for s in shares))
    for label, namer in namers.items():
        print(f"\n{label}: most common disagreements (survey family -> given), held out, "
              "light 1 | 0.6")
        for x in (1.0, 0.6):
            agreement = family_agreement(sets["held out"], x, namer)
            print("  " + ", ".join(f"{a}->{b} {n}" for (a, b), n in agreement.confusions[:6]))
    print("\nnames of a few garment colours as shaded (light 1, 0.8, 0.6, 0.45)")
    for value, what in EXAMPLES.items():
        rgb = np.array([int(value[i:i + 2], 16) for i in (1, 3, 5)], np.uint8)
        row = []
        for label, namer in namers.items():
            names = [namer(rgb_to_lab(shade(rgb, x)).astype(np.float64))[0]
                     for x in (1.0, 0.8, 0.6, 0.45)]
            row.append(f"{label.split()[0]}: {', '.join(names)}")
        print(f"  {what:14s} {value}  " + " | ".join(row))


if __name__ == "__main__":
    main()
