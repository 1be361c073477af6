"""Planted bugs, and which tests catch them: a mutation check you can rerun.

Each mutant is one text replacement in one file of ``src/`` (it must match exactly
once, or the mutant is reported as no longer applying). For each, the repository's
``src/``, ``tests/``, ``examples/`` and ``pyproject.toml`` are copied to a scratch folder
(beside a link to ``../shared``, where the tests find the labelled photos), the bug is
planted in the copy, and the mutant's tests run there; the working tree is never
touched. The table lists, for each mutant, the tests that failed (caught) or
``SURVIVED``.

    python benchmarks/mutants.py                  # every mutant
    python benchmarks/mutants.py --only fusion    # mutants whose name contains "fusion"
    python benchmarks/mutants.py --list

To add one, append a :class:`Mutant` to :data:`MUTANTS`: the file, the exact text, its
replacement and the test files (or node ids) expected to catch it. Exit status 1 when a
mutant survives or no longer applies.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutant:
    """One planted bug: replace ``find`` (exactly one occurrence) by ``replace`` in
    ``file`` (relative to the repository) and run ``tests`` (paths or node ids)."""

    name: str
    file: str
    find: str
    replace: str
    tests: tuple[str, ...]


MUTANTS: list[Mutant] = [
    # --- issue 15: learned parts that the suite must guard --------------------------
    Mutant("auto: fusion bypassed (the person model's mask, with a soft edge)",
           "src/runwaycut/methods/auto.py",
           "prob = fused_probability(work, est, model, self.band)",
           "prob = est.probability  # MUTANT",
           ("tests/methods/test_auto.py",)),
    Mutant("auto: the fusion's colour-histogram feature zeroed",
           "src/runwaycut/person/fusion.py",
           '    x[:, col["hist_ratio"]] = _histogram_ratio(img, fg > 0, bg > 0, at_win)',
           '    x[:, col["hist_ratio"]] = 0.0  # MUTANT',
           ("tests/methods/test_auto.py::"
            "test_histogram_feature_is_the_log_ratio_of_figure_to_background_colour_frequency",)),
    Mutant("auto: the fusion's histograms count figure and background swapped",
           "src/runwaycut/person/fusion.py",
           "    group -= fg.view(np.uint8) << 1\n    group -= bg.view(np.uint8)",
           "    group -= bg.view(np.uint8) << 1\n    group -= fg.view(np.uint8)  # MUTANT",
           ("tests/methods/test_auto.py::"
            "test_histogram_feature_is_the_log_ratio_of_figure_to_background_colour_frequency",)),
    Mutant("garment: the skin-distance feature zeroed",
           "src/runwaycut/garment/features.py",
           "np.minimum(_mahalanobis(pix, skin), 30), pix[:, 0] - skin.mean[0],",
           "np.zeros(len(index), np.float32), pix[:, 0] - skin.mean[0],  # MUTANT",
           ("tests/garment/test_garment.py",)),
    Mutant("garment: the network's hidden layers without ReLU",
           "src/runwaycut/garment/model.py",
           "                np.maximum(z, 0, out=z)",
           "                pass  # MUTANT",
           ("tests/garment/test_garment.py",)),
    Mutant("threshold auto: the fixed default where a person is found",
           "src/runwaycut/threshold/rules.py",
           "            return person_rule_threshold(sweep)",
           "            return 20.0  # MUTANT",
           ("tests/threshold/test_auto_rule.py",
            "tests/threshold/test_threshold_model.py")),
    Mutant("threshold auto: the photo-only model everywhere (person rule dropped)",
           "src/runwaycut/threshold/rules.py",
           "        if sweep.found:\n            return person_rule_threshold(sweep)",
           "        if False:  # MUTANT\n            return person_rule_threshold(sweep)",
           ("tests/threshold/test_auto_rule.py",
            "tests/threshold/test_threshold_model.py")),
    Mutant("threshold auto: no person, the fixed default instead of the photo-only model",
           "src/runwaycut/threshold/rules.py",
           "        photo_only = model.fallback if model.needs_person else model\n"
           "        return photo_only.predict_image(image, palette, distance)",
           "        return 20.0  # MUTANT",
           ("tests/threshold/test_auto_rule.py",)),
    # --- issue 15 point 3: the held-out photos stay out of training -----------------
    Mutant("held-out photos not left out of training",
           "src/runwaycut/scoring/heldout.py",
           'if dataset.layout != "ccp":',
           "if True:  # MUTANT",
           ("tests/threshold/test_threshold_model.py", "tests/scoring/test_heldout.py")),
    # --- issue 15 point 5: checks that no longer compare code with itself -----------
    Mutant("colours: every pixel counted, not only the masked ones",
           "src/runwaycut/garment/colors.py",
           "    centres, counts = colour_clusters(image, np.flatnonzero(mask), params)\n",
           "    centres, counts = colour_clusters(image, np.arange(mask.size), params)  # MUTANT\n",
           ("tests/garment/test_colors.py",)),
    Mutant("PNG writer: a strip's first row filtered against the wrong row",
           "src/runwaycut/io/encode.py",
           "        above = block[-1]\n",
           "        above = block[0]  # MUTANT\n",
           ("tests/test_io.py::test_png_round_trip_through_pillow_and_opencv",)),
    Mutant("colours: k-means stops after its first Lloyd iterations",
           "src/runwaycut/note/kmeans.py",
           "    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, max_iter, eps)",
           "    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 2, eps)  # MUTANT",
           ("tests/note/test_kmeans.py",)),
    Mutant("colours: k-means++ start not greedy (one candidate a centre)",
           "src/runwaycut/note/kmeans.py",
           "    trials = 2 + int(np.log(k))\n",
           "    trials = 1  # MUTANT\n",
           ("tests/note/test_kmeans.py",)),
    Mutant("otsu rule: the relative band's bulk cut applied to absolute distances",
           "src/runwaycut/threshold/rules.py",
           '    if band == "relative":\n        # Relative distances',
           '    if True:  # MUTANT\n        # Relative distances',
           ("tests/explain/test_explain.py::test_cli_threshold_rule",
            "tests/evaluation/test_evaluate_cli.py::test_evaluate_on_ccp_photos_by_rule_and_best")),
    # --- issue 15 point 7: the doctests run -----------------------------------------
    Mutant("colour mask: a majority vote one colour short (doctest)",
           "src/runwaycut/note/colormask.py",
           "        return n_colors // 2 + 1",
           "        return n_colors // 2  # MUTANT",
           ("src/runwaycut/note/colormask.py",)),
    # --- issue 15 point 4 and issue 13: the batch's edges ----------------------------
    Mutant("batch: two photos may write the same outputs (collision guard off)",
           "src/runwaycut/batch/resume.py", "        if taken is not None:", "        if False:  # MUTANT",
           ("tests/batch/test_resume.py::test_two_photos_never_write_the_same_outputs",)),
    Mutant("manifest: a row cut by a kill is not ended before the next",
           "src/runwaycut/batch/manifest.py",
           '            self._write(b"\\n")  # end the row a killed run cut short',
           "            pass  # MUTANT",
           ("tests/batch/test_resume.py::test_a_row_cut_by_a_kill_is_ended_before_the_next",)),
    Mutant("summary: mean_ms over every row instead of the photos done",
           "src/runwaycut/batch/run.py", '"mean_ms": round(self.ok_ms / self.ok, 2)',
           '"mean_ms": round(self.ok_ms / self.total, 2)',
           ("tests/batch/test_resume.py::test_summary_mean_ms_is_the_mean_of_successful_photos",)),
    Mutant("resume: skipped rows carry a failed row's numbers (status filter dropped)",
           "src/runwaycut/batch/manifest.py",
           'for row in read_manifest(path) if row.get("status") == "ok"}',
           "for row in read_manifest(path)}  # MUTANT",
           ("tests/batch/test_resume.py::test_skipped_rows_carry_the_last_successful_row",)),
    Mutant("resume: --target garment checks only mask and cutout",
           "src/runwaycut/batch/resume.py",
           "    if garment is not None and isinstance(method, garment.GarmentMethod):",
           "    if False:  # MUTANT",
           ("tests/batch/test_resume.py::test_garment_resume_checks_every_garment_output",)),
    Mutant("resume: another photo under the same name taken as done",
           "src/runwaycut/batch/resume.py", "            verdict = same_photo(path, carried)",
           "            verdict = True  # MUTANT",
           ("tests/batch/test_resume.py::test_other_photos_under_the_same_names_are_redone",)),
    Mutant("manifest: a photo's row lost when a signal comes during its writes",
           "src/runwaycut/batch/photo.py", "            stop.finished_record = record",
           "            pass  # MUTANT",
           ("tests/batch/test_resume.py::test_signal_during_a_photos_writes_keeps_its_row",)),
    Mutant("manifest: -j 1 loses the row of the photo being written when a signal comes",
           "src/runwaycut/batch/workers.py", "                stop.finished_item = pending.result()",
           "                pending.result()  # MUTANT",
           ("tests/batch/test_resume.py::test_signal_during_a_photos_writes_keeps_its_row",
            "tests/batch/test_overlapped.py")),
    Mutant("batch: large photos overlapped too (a batch's memory more than doubled)",
           "src/runwaycut/batch/workers.py",
           "                if not small:  # written now: its results go before the next photo's\n",
           "                if False:  # MUTANT\n",
           ("tests/batch/test_overlapped.py",)),
    Mutant("full disk: a lone mask left when its cutout could not be written",
           "src/runwaycut/batch/photo.py", "            for done in written:",
           "            for done in []:  # MUTANT", ("tests/batch/test_disk_full.py",)),
    Mutant("models: fusion.json's shapes not checked",
           "src/runwaycut/person/fusion.py", "        problem = mlp.shape_problem()",
           '        problem = ""  # MUTANT', ("tests/test_models.py",)),
    Mutant("upsampling: the near-band filter reads too little around the soft pixels",
           "src/runwaycut/person/matting.py", "    side = 2 * (2 * radius + 1) + 1",
           "    side = 2 * radius + 1  # MUTANT",
           ("tests/person/test_strips.py::test_guided_upsample_near_the_soft_pixels_equals_the_whole_filter",)),
    Mutant("items: the fused map loses the item of what was taken in",
           "src/runwaycut/garment/items.py", "    carried[~add] = 0\n",
           "    carried[:] = 0  # MUTANT\n",
           ("tests/garment/test_items.py::test_items_from_logits_takes_in_a_carried_item_touching_the_figure",)),
    Mutant("items: the take-in's box no wider than its candidates (the morphology cut short)",
           "src/runwaycut/garment/items.py", "    box = bounding_box(outside, max(r, reach) + 1)",
           "    box = bounding_box(outside, 0)  # MUTANT",
           ("tests/garment/test_items.py::test_the_take_in_equals_the_rule_over_the_whole_photo",)),
    Mutant("batch: an orphaned worker waits forever for a hung read",
           "src/runwaycut/batch/workers.py",
           "    time.sleep(ORPHAN_GRACE)\n    os._exit(128 + signal.SIGTERM)\n",
           "    time.sleep(ORPHAN_GRACE)  # MUTANT\n",
           ("tests/batch/test_batch.py::test_an_orphaned_worker_quits_even_when_a_read_hangs",)),
    Mutant("cli: remove imports Rich (and styles) where stderr is not a terminal",
           "src/runwaycut/cli/_common.py",
           '    if os.environ.get("FORCE_COLOR") or os.environ.get("TTY_COMPATIBLE") == "1":',
           '    if True:  # MUTANT',
           ("tests/cli/test_cli_remove.py::test_messages_are_verbatim_and_rich_loads_only_to_style_them",)),
    Mutant("cli: remove's styled messages read as Rich markup",
           "src/runwaycut/cli/_common.py",
           '        line = (Text.assemble((label, style or ""), " ", text) if label',
           '        line = (f"[{style}]{label}[/] {text}" if label  # MUTANT',
           ("tests/cli/test_cli_remove.py::test_messages_are_verbatim_and_rich_loads_only_to_style_them",)),
    Mutant("cli: a message that cannot be written (stderr full) fails the command",
           "src/runwaycut/cli/_common.py",
           "    except (OSError, ValueError):  # (ValueError: a closed file)",
           "    except ZeroDivisionError:  # MUTANT",
           ("tests/cli/test_cli_remove.py::test_a_stderr_that_cannot_be_written_does_not_change_the_exit_code",)),
    Mutant("matting: the second pass writes its colours to pixels read with the wrong row length",
           "src/runwaycut/person/matting.py", "    iy, ix = np.divmod(at, w)",
           "    iy, ix = np.divmod(at, w + 1)  # MUTANT",
           ("tests/methods/test_auto.py::test_foreground_estimation_recovers_a_flat_foreground",
            "tests/person/test_strips.py::test_foreground_colours_follow_the_whole_photo_estimator")),
    Mutant("items: body-part maps project onto the segment with the wrong axis",
           "src/runwaycut/garment/items_inputs.py", "            dy = dy - t * uy\n",
           "            dy = dy - t * ux  # MUTANT\n",
           ("tests/garment/test_items.py::test_part_maps_are_the_gaussian_of_the_distance_to_each_segment",)),
    Mutant("items: without a pose the body-part maps left empty (no mean pose)",
           "src/runwaycut/garment/items.py",
           "    return body_frame(figure, None, mean_pose).points\n",
           "    return None  # MUTANT\n",
           ("tests/garment/test_items.py::test_without_a_pose_the_mean_pose_places_the_body_parts",)),
    Mutant("matting: the band's coefficients read one column off",
           "src/runwaycut/person/matting.py",
           "        c = bilinear_at(coef, full, iy, ix, (m0, 0), (half[1], half[0]), taps)",
           "        c = bilinear_at(coef, full, iy, ix, (m0, 1), (half[1], half[0]), taps)  # MUTANT",
           ("tests/person/test_strips.py::test_matte_is_the_fast_guided_filter_of_the_whole_photo",)),
    Mutant("band: an odd last row halved from the row above it",
           "src/runwaycut/person/band.py",
           "        out[-1, :we // 2] = _pair_means(array[-1, :we])",
           "        out[-1, :we // 2] = _pair_means(array[-2, :we])  # MUTANT",
           ("tests/garment/test_items.py::test_shrink_whole_averages_blocks_edge_repeated",)),
    Mutant("matting: the foreground update weighs F by 1 - a, not 1 - a^2",
           "src/runwaycut/person/matting.py",
           "    out = fg * (unit * (1 - a * a))",
           "    out = fg * (unit * (1 - a))  # MUTANT",
           ("tests/person/test_strips.py::test_foreground_colours_follow_the_whole_photo_estimator",)),
    Mutant("garment: a strip of the class maps enlarged from the wrong rows",
           "src/runwaycut/garment/guided.py",
           "            big = enlarged(c, rows)",
           "            big = enlarged(c, slice(s0, s1))  # MUTANT",
           ("tests/garment/test_garment.py::test_guided_labels_match_the_whole_photo_guided_filter",)),
    Mutant("items: stray fragments of an item kept as items",
           "src/runwaycut/garment/items.py",
           "    if minor.size and minor.size < np.count_nonzero(counts[1:]):  # some item must remain",
           "    if False:  # MUTANT",
           ("tests/garment/test_items.py::test_items_too_small_to_count_take_the_likeliest_remaining_item",)),
    Mutant("items: the garment classifier's weight in the item logits zeroed",
           "src/runwaycut/garment/items_fusion.py", "FUSION_WEIGHT = 1.0",
           "FUSION_WEIGHT = 0.0  # MUTANT", ("tests/garment/test_items_fusion.py",)),
    Mutant("items: the item logits no longer pulled to their region's mean",
           "src/runwaycut/garment/items.py",
           "        smooth_in_regions(big, to_big, *regions)\n",
           "        pass  # MUTANT\n",
           ("tests/garment/test_items_fusion.py::test_items_follow_the_regions_of_like_colour_on_heldout_photos",)),
    Mutant("items: regions read at the wrong scale (photo pixels for working ones)",
           "src/runwaycut/garment/items_fusion.py",
           "    region = cv2.warpAffine(regions.astype(np.float32), to_work, (cols, rows),",
           "    to_work[:, :2] /= scale  # MUTANT\n"
           "    region = cv2.warpAffine(regions.astype(np.float32), to_work, (cols, rows),",
           ("tests/garment/test_items_fusion.py",)),
    Mutant("items: one zoom of the window only",
           "src/runwaycut/garment/items_model.py",
           "TEST_ZOOMS = (1.0, 1.15)\n",
           "TEST_ZOOMS = (1.0,)  # MUTANT\n",
           ("tests/garment/test_items_fusion.py::test_a_second_zoom_of_the_window_gains_on_heldout_photos",)),
    Mutant("items: the second zoom's logits read through the inverse map",
           "src/runwaycut/garment/items_model.py",
           "        planes, covered = resample_window(logits, other @ to_photo)\n",
           "        planes, covered = resample_window(logits, np.linalg.inv(np.vstack([other @ to_photo, [0, 0, 1]]))[:2])  # MUTANT\n",
           ("tests/garment/test_items_fusion.py",)),
    Mutant("items: the resampled window read with the wrong warp direction",
           "src/runwaycut/garment/items_model.py",
           "    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP\n    covered",
           "    flags = cv2.INTER_LINEAR  # MUTANT\n    covered",
           ("tests/garment/test_items_fusion.py",)),
    Mutant("items: regrouping may leave stray items under the share",
           "src/runwaycut/garment/items_fusion.py",
           "    for item, others in list(too_small()):  # beside an item of its class that counts: to it\n",
           "    for item, others in []:  # MUTANT\n", ("tests/garment/test_items_fusion.py",)),
    Mutant("items: the window's input not shrunk by area first (bilinear skips pixels)",
           "src/runwaycut/garment/items_inputs.py", "    if not nearest and s < 0.5:\n",
           "    if False:  # MUTANT\n",
           ("tests/garment/test_items.py::test_a_large_reduction_averages_the_photo",)),
    Mutant("items: body-part maps cut off too near their segments",
           "src/runwaycut/garment/items_inputs.py", "PART_REACH = 8.0\n",
           "PART_REACH = 1.5  # MUTANT\n",
           ("tests/garment/test_items.py::test_part_maps_are_the_gaussian_of_the_distance_to_each_segment",)),
    Mutant("scoring: label counts miss the background outside the labels' box",
           "src/runwaycut/scoring/items.py", "        counts[0] = labels.size - boxed.size\n",
           "        counts[0] = 0  # MUTANT\n",
           ("tests/garment/test_items.py::test_item_counts_are_the_pixels_of_each_item",)),
    Mutant("start-up: remove's path imports scikit-learn (1.4 s)",
           "src/runwaycut/cli/remove.py", "import contextlib\n",
           "import contextlib\nimport sklearn.cluster  # MUTANT\n",
           ("tests/batch/test_batch.py::test_remove_forks_its_workers",)),
    Mutant("items: the four-class map the classifier's alone (items' classes ignored)",
           "src/runwaycut/garment/items_fusion.py", "    from_items = lookup(ITEM_TO_CLASS, items)\n",
           "    from_items = classes  # MUTANT\n", ("tests/garment/test_items_fusion.py",)),
    Mutant("cli: evaluate's error lines read as Rich markup (a name's [red] eaten)",
           "src/runwaycut/cli/evaluate.py",
           "                say(row[\"error\"], \"error:\", \"bold red\", progress.console)\n",
           "                progress.console.print(f\"[bold red]error:[/] {row['error']}\")  # MUTANT\n",
           ("tests/evaluation/test_evaluate_cli.py::"
            "test_names_that_look_like_markup_are_printed_as_they_are",)),
    Mutant("start-up: a one-process run imports the process pool (16 ms)",
           "src/runwaycut/batch/workers.py",
           "from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait\n",
           "from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait\n"
           "from concurrent.futures.process import ProcessPoolExecutor  # MUTANT\n",
           ("tests/cli/test_cli_remove.py::test_a_run_in_one_process_does_not_load_the_process_pool",)),
    # --- session 20: the items target in the service; a photo without a person ------
    Mutant("items: items.json of a photo without a person (no item) crashes",
           "src/runwaycut/garment/items_outputs.py",
           "    if box is None:  # no item at all (a photo without a person)\n        return []\n",
           "    box = box or (slice(0, 0), slice(0, 0))  # MUTANT\n",
           ("tests/garment/test_items.py::test_remove_target_items_on_a_photo_without_a_person",)),
    Mutant("serve: the items target's json without its items",
           "src/runwaycut/serve/cut.py",
           "    if target_of(result) == \"items\":",
           "    if False:  # MUTANT",
           ("tests/serve/test_api.py::test_items_answers_are_what_remove_writes",)),
    Mutant("serve: the page draws no item map",
           "src/runwaycut/serve/static/page.js",
           "  showItems(node, b, b.files[stem + \".items.png\"]);\n",
           "  // MUTANT\n",
           ("tests/serve/test_page_browser.py::"
            "test_items_view_shows_the_item_map_legend_and_each_item_s_colours",)),
    Mutant("serve: the page's hidden elements shown by their display rules",
           "src/runwaycut/serve/static/page.css",
           "[hidden] { display: none !important; }\n", "/* MUTANT */\n",
           ("tests/serve/test_page_browser.py::"
            "test_items_view_shows_the_item_map_legend_and_each_item_s_colours",)),
    Mutant("serve: a batch's item maps not in the gallery",
           "src/runwaycut/serve/gallery.py",
           "{**GARMENT_SUFFIXES, **ITEMS_SUFFIXES}.items()",
           "GARMENT_SUFFIXES.items()",
           ("tests/serve/test_gallery.py::test_an_items_batch_shows_its_item_maps",)),
    Mutant("items table: photos done by an earlier run left out of items.csv",
           "src/runwaycut/cli/remove.py",
           '            if record.status in ("ok", "skipped"):\n',
           '            if record.status == "ok":  # MUTANT\n',
           ("tests/garment/test_items.py::"
            "test_remove_target_items_gathers_every_photo_s_items_in_one_table",)),
    Mutant("items table: an item's largest colour not the first one listed",
           "src/runwaycut/batch/items_table.py",
           "    first = colors[0] if colors else {}",
           "    first = colors[-1] if colors else {}  # MUTANT",
           ("tests/garment/test_items.py::"
            "test_remove_target_items_gathers_every_photo_s_items_in_one_table",)),
    Mutant("evaluate items: an item's recall counted over the photos it was found in",
           "src/runwaycut/evaluation/items.py",
           '        c["recall"] = c["both"] / c["labelled"] if c["labelled"] else None',
           '        c["recall"] = c["both"] / c["found"] if c["found"] else None  # MUTANT',
           ("tests/garment/test_items.py::test_presence_scores_count_photos_and_swap_with_the_roles",)),
    Mutant("items: a redone photo keeps the earlier photo's cutouts of items it does not show",
           "src/runwaycut/batch/photo.py",
           "                for path in photo.stale:  # an earlier run's item cutouts of items gone\n",
           "                for path in ():  # MUTANT\n",
           ("tests/garment/test_items.py::"
            "test_a_redone_photo_keeps_no_item_cutouts_of_items_it_does_not_show",)),
    Mutant("items: a photo named like another's item cutout overwrites it",
           "src/runwaycut/batch/resume.py",
           "            for s in items.item_cutout_suffixes(image_format).values()]\n",
           "            for s in ()]  # MUTANT\n",
           ("tests/garment/test_items.py::"
            "test_a_photo_named_like_another_s_item_cutout_is_refused",)),
    Mutant("batch: a photo whose stem names another's output overwrites it",
           "src/runwaycut/batch/resume.py",
           "        taken = next((f for f in files if f in owners), None)\n",
           "        taken = files[0] if files[0] in owners else None  # MUTANT\n",
           ("tests/batch/test_resume.py::"
            "test_a_photo_whose_stem_names_another_s_output_is_refused",)),
    Mutant("webp: the garment cutout stays PNG under --format webp",
           "src/runwaycut/garment/outputs.py",
           "            suffixes[\"garment\"]: encode_image(garment_cutout(image, garment.labels), image_format),\n",
           "            \".garment.png\": encode_image(garment_cutout(image, garment.labels)),  # MUTANT\n",
           ("tests/garment/test_items.py::"
            "test_format_webp_writes_every_cutout_as_webp_with_the_same_pixels",)),
    Mutant("webp: a rerun of a webp items folder looks for a PNG garment cutout and redoes it",
           "src/runwaycut/batch/resume.py",
           "        paths.update(_garment_paths(out_dir, rel, image_format))\n        paths.update(_items_paths(out_dir, rel))\n",
           "        paths.update(_garment_paths(out_dir, rel))  # MUTANT\n        paths.update(_items_paths(out_dir, rel))\n",
           ("tests/garment/test_items.py::"
            "test_format_webp_writes_every_cutout_as_webp_with_the_same_pixels",)),
    Mutant("start-up: the garment step's lazy import left to the first photo",
           "src/runwaycut/garment/outputs.py",
           "        from skimage.segmentation import felzenszwalb  # noqa: F401\n",
           "        pass  # MUTANT\n",
           ("tests/garment/test_items.py::"
            "test_the_garment_and_items_targets_load_before_the_first_photo",)),
    Mutant("start-up: the items target loads nothing before the first photo",
           "src/runwaycut/garment/items_outputs.py",
           "    def load(self) -> None:\n",
           "    def _load_unused(self) -> None:  # MUTANT\n",
           ("tests/garment/test_items.py::"
            "test_the_garment_and_items_targets_load_before_the_first_photo",)),
    Mutant("explain: the item colour bars drawn in the item map's colour",
           "src/runwaycut/explain/items.py",
           "                                       facecolor=np.array(c.rgb) / 255, edgecolor=\"black\",\n",
           "                                       facecolor=ITEM_PALETTE[index] / 255, edgecolor=\"black\",  # MUTANT\n",
           ("tests/explain/test_explain_methods.py::"
            "test_items_target_draws_each_item_s_colours_as_items_json_lists_them",)),
    Mutant("signals: a worker's SIGTERM lost in a weakref callback (the worker runs on)",
           "src/runwaycut/batch/workers.py", "    sys.unraisablehook = _stop_again\n",
           "    pass  # MUTANT\n",
           ("tests/batch/test_batch.py::"
            "test_a_sigterm_landing_in_a_weakref_callback_still_stops_the_worker",)),
    Mutant("signals: the command's Ctrl-C lost in a weakref callback",
           "src/runwaycut/cli/__init__.py", "    sys.unraisablehook = _interrupt_again\n",
           "    pass  # MUTANT\n",
           ("tests/batch/test_batch.py::"
            "test_a_ctrl_c_landing_in_a_weakref_callback_still_stops_the_command",)),
    Mutant("items: the confidence read from the likeliest item, not the one the map names",
           "src/runwaycut/garment/items_model.py",
           "    own = np.take_along_axis(prob, window[None].astype(np.intp), axis=0)[0]\n",
           "    own = prob.max(axis=0)  # MUTANT\n",
           ("tests/garment/test_items.py::test_the_network_s_confidence_tells_the_items_a_photo_shows",
            "tests/garment/test_items.py::"
            "test_item_confidence_is_the_item_s_own_probability_where_the_map_puts_it")),
    Mutant("items: the confidence read at the wrong place (the affine the wrong way)",
           "src/runwaycut/garment/items_model.py",
           "    window = cv2.warpAffine(np.ascontiguousarray(labels, np.uint8), np.asarray(affine, np.float64),\n",
           "    window = cv2.warpAffine(np.ascontiguousarray(labels, np.uint8), cv2.invertAffineTransform(np.asarray(affine, np.float64)),  # MUTANT\n",
           ("tests/garment/test_items.py::test_the_network_s_confidence_tells_the_items_a_photo_shows",
            "tests/garment/test_items.py::"
            "test_item_confidence_is_the_item_s_own_probability_where_the_map_puts_it")),
    # --- issues 11 and 14, session 16: the garment step's boxes and whole factors ---
    Mutant("garment: a padded whole-factor photo's maps enlarged to its size, not k times",
           "src/runwaycut/garment/guided.py",
           "    if k >= 2 and -(-H // k) == h and -(-W // k) == w:",
           "    if False:  # MUTANT",
           ("tests/garment/test_garment.py::test_guided_labels_match_the_whole_photo_guided_filter",)),
    Mutant("garment: the small Gaussian filtered over the figure's box with no margin",
           "src/runwaycut/garment/features.py",
           "    box = bounding_box(figure, max((int(round(sigma * 8 + 1)) | 1) // 2, 2) + 1)",
           "    box = bounding_box(figure, 2)  # MUTANT",
           ("tests/garment/test_garment.py::test_features_of_some_rows_are_those_rows_of_all_features",)),
    Mutant("garment: the rows' features taken from the first pixels, not the rows'",
           "src/runwaycut/garment/features.py",
           "    index = all_index if rows is None else all_index[rows]",
           "    index = all_index if rows is None else all_index[:int(np.count_nonzero(rows))]",
           ("tests/garment/test_garment.py::test_features_of_some_rows_are_those_rows_of_all_features",)),
    Mutant("garment: torso colour polygons drawn without the box's offset",
           "src/runwaycut/garment/body.py",
           "    cv2.fillPoly(mask, pts, 1, offset=(-int(x0), -int(y0)))",
           "    cv2.fillPoly(mask, pts, 1)  # MUTANT",
           ("tests/garment/test_garment.py::"
            "test_region_colour_and_body_frame_read_the_figure_pixels_in_their_polygons",)),
    Mutant("items: regrouping reads the scores at box coordinates, not the photo's",
           "src/runwaycut/garment/items_fusion.py",
           "        return box_scores_at(ys + y0, xs + x0)",
           "        return box_scores_at(ys, xs)  # MUTANT",
           ("tests/garment/test_items_fusion.py::test_regroup_reads_the_scores_where_each_pixel_lies",)),
    Mutant("item colours: each item given the whole figure's colours",
           "src/runwaycut/garment/items.py",
           "colour_clusters(image, index[order[ends[i] - counts[i]:ends[i]]], params)",
           "colour_clusters(image, index, params)",
           ("tests/garment/test_items.py::test_each_item_s_colours_are_those_of_its_own_pixels",)),
    Mutant("item colours: each item's pixels taken from the items sorted before it",
           "src/runwaycut/garment/items.py",
           "index[order[ends[i] - counts[i]:ends[i]]]",
           "index[order[max(ends[i] - 2 * counts[i], 0):ends[i] - counts[i]]]",
           ("tests/garment/test_items.py::test_each_item_s_colours_are_those_of_its_own_pixels",)),
    Mutant("item colours: the items' clusters named in the wrong order",
           "src/runwaycut/garment/items.py",
           "np.concatenate([centres for centres, _ in clusters])",
           "np.concatenate([centres for centres, _ in clusters[::-1]])",
           ("tests/garment/test_items.py::test_each_item_s_colours_are_those_of_its_own_pixels",)),
    Mutant("page: the download links with nothing between them to wrap at",
           "src/runwaycut/serve/static/page.js",
           'p.append(a, " ");',
           "p.append(a);",
           ("tests/serve/test_page_browser.py::test_the_page_fits_a_phone_s_width",)),
    Mutant("explain: the picture cut at the figure's edges (titles and captions wider than their panels)",
           "src/runwaycut/explain/figure.py",
           'facecolor="white", bbox_inches="tight",',
           'facecolor="white", bbox_inches=None,',
           ("tests/garment/test_items.py::test_explain_target_items",)),
    Mutant("evaluate: photos the models were trained on scored without a word",
           "src/runwaycut/cli/evaluate.py",
           '    return (method == "auto" or target in ("garment", "items")',
           '    return False and (method == "auto" or target in ("garment", "items")',
           ("tests/evaluation/test_evaluate_cli.py::"
            "test_photos_the_models_were_trained_on_are_said_or_left_out",)),
    Mutant("evaluate --unseen: the photos trained on kept",
           "src/runwaycut/scoring/heldout.py",
           "    return _leave_out(dataset, is_trained_on)",
           "    return dataset, tuple(i.id for i in dataset.items if is_trained_on(i.id))  # MUTANT",
           ("tests/evaluation/test_evaluate_cli.py::"
            "test_photos_the_models_were_trained_on_are_said_or_left_out",
            "tests/scoring/test_heldout.py::test_the_development_photos_are_trained_on_or_held_out")),
]


def _copy_tree(root: Path) -> Path:
    """``src``, ``tests``, ``examples`` and ``pyproject.toml`` in a scratch folder
    beside ``shared``."""
    scratch = Path(tempfile.mkdtemp(prefix="runwaycut-mutants-"))
    repo = scratch / "repo"
    repo.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "*.egg-info")
    for name in ("src", "tests", "examples"):
        shutil.copytree(root / name, repo / name, ignore=ignore)
    shutil.copy2(root / "pyproject.toml", repo / "pyproject.toml")
    shared = (root / ".." / "shared").resolve()
    if shared.is_dir():
        (scratch / "shared").symlink_to(shared)
    return repo


def run_mutant(mutant: Mutant, root: Path = REPO, timeout: float = 1800) -> tuple[str, str]:
    """Plant one mutant in a copy and run its tests: ``(verdict, detail)``."""
    source = (root / mutant.file).read_text()
    count = source.count(mutant.find)
    if count != 1:
        return "DOES NOT APPLY", f"{mutant.file}: the text occurs {count} times"
    repo = _copy_tree(root)
    try:
        (repo / mutant.file).write_text(source.replace(mutant.find, mutant.replace))
        env = {**os.environ, "PYTHONPATH": str(repo / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rf",
               "--no-header", *mutant.tests]
        try:
            done = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            return "TIMED OUT", f"after {timeout:.0f} s"
        failed = sorted(set(re.findall(r"^(?:FAILED|ERROR) (\S+)", done.stdout, re.M)))
        if done.returncode == 0:
            return "SURVIVED", "all its tests passed"
        if not failed:
            tail = done.stdout.strip().splitlines()[-1:] or done.stderr.strip().splitlines()[-1:]
            return "ERROR", tail[0] if tail else f"pytest exit {done.returncode}"
        return "caught", ", ".join(f.split("::")[-1] if "::" in f else f for f in failed)
    finally:
        shutil.rmtree(repo.parent, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="", help="run the mutants whose name contains this")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = ap.parse_args()
    chosen = [m for m in MUTANTS if args.only.lower() in m.name.lower()]
    if args.list:
        for m in chosen:
            print(f"{m.name}  ({m.file}; tests {', '.join(m.tests)})")
        return
    bad = 0
    print("| mutant | verdict | failing tests | s |")
    print("|---|---|---|---|")
    for m in chosen:
        start = time.perf_counter()
        verdict, detail = run_mutant(m)
        bad += verdict != "caught"
        print(f"| {m.name} | {verdict} | {detail} | {time.perf_counter() - start:.0f} |",
              flush=True)
    print(f"\n{len(chosen) - bad} of {len(chosen)} mutants caught")
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
