"""Many photos: find them, process each into files, record what happened.

A batch reads as its steps::

    collect_photos   photos, folders, glob patterns and lists of paths -> (photo, output stem)
    process_photo    one photo -> its output files (written atomically) and a PhotoRecord
    run_batch        many photos, in this process or in worker processes
    run_collection   the whole run: parameters check, resume, manifest, summary

The core is :func:`process_photo`: one photo in, its output files written atomically,
one :class:`PhotoRecord` out. A photo that fails is recorded with its error and never
stops the others.

Files in the output folder
--------------------------
``<stem>.mask.png``, ``<stem>.png`` (and ``<stem>.overlay.png``)
    Per photo, the folder tree below each input folder mirrored (``.webp`` cutout and
    overlay with ``image_format='webp'``).
``manifest.jsonl``
    One JSON object per line and per photo (see :class:`PhotoRecord`), appended and
    flushed as each photo is done, in the order of the inputs.
``manifest.summary.json``
    Counts, mean milliseconds per photo, photos per second, workers and start-up
    seconds of the last run.
``items.csv``
    With ``--target items``: every photo's items in one table (:mod:`.items_table`).
``runwaycut-params.json``
    The backend's parameters. A later run into the same folder with other parameters
    is refused (:class:`ParameterMismatchError`) unless it overwrites everything.

Modules
-------
    inputs       photos, folders, globs and lists -> (photo, output stem)
    photo        one photo -> its files and a :class:`PhotoRecord`
    outputs      the cutout, mask and overlay as PNG or lossless WebP bytes
    targets      ``--target`` figure / garment / items: how a backend is wrapped, what it writes
    workers      many photos in this process or in worker processes
    dask         the same on a Dask cluster (``--scheduler``)
    params       the folder's recorded parameters, checked on rerun
    manifest     the JSON Lines manifest
    resume       what a rerun keeps: expected files, recognised photos, rows in order
    run          the whole run: :func:`run_collection`
    items_table  a ``--target items`` run's items in one table, ``items.csv``
"""

from .inputs import collect_photos, read_path_list
from .manifest import MANIFEST_FILE, Manifest, read_manifest
from .params import PARAMS_FILE, ParameterMismatchError, check_params, describe
from .photo import PhotoRecord, output_paths, process_photo
from .run import LOCK_FILE, BatchSummary, run_collection, summarize
from .cores import (choose_threads, choose_workers, default_workers, one_thread,
                    single_threaded)
from .workers import BatchSettings, run_batch

__all__ = ["BatchSettings", "BatchSummary", "LOCK_FILE", "MANIFEST_FILE", "Manifest",
           "PARAMS_FILE", "ParameterMismatchError", "PhotoRecord", "check_params",
           "choose_threads", "choose_workers", "collect_photos", "default_workers", "describe", "one_thread", "output_paths",
           "process_photo", "read_manifest", "read_path_list", "run_batch", "run_collection",
           "single_threaded", "summarize"]
