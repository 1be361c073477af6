"""``python -m runwaycut.models [--refresh]``: the shipped files and their checksums.

Without options, checks every shipped model and data file against
:data:`runwaycut.models.CHECKSUMS` (exit code 1 if any differs or is unlisted). With
``--refresh``, rewrites the table from the files as they are (after retraining).
"""

from __future__ import annotations

import argparse
import sys

from ..errors import ModelError
from . import CHECKSUMS, read_shipped, refresh_checksums, shipped_files


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m runwaycut.models", description=__doc__)
    ap.add_argument("--refresh", action="store_true",
                    help="rewrite the checksum table from the shipped files")
    args = ap.parse_args(argv)
    if args.refresh:
        for rel, digest in refresh_checksums().items():
            print(f"{digest}  {rel}")
        return 0
    bad = 0
    for rel in sorted(set(shipped_files()) | set(CHECKSUMS)):
        try:
            read_shipped(rel)
            print(f"ok      {rel}")
        except ModelError as exc:
            bad += 1
            print(f"FAILED  {exc}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
