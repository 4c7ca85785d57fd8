"""Rebuild ``w2s_lib/resources/wordnet_synsets.parquet`` from Debian's ``wordnet-base``.

Usage: ``python scripts/build_wordnet.py [--wordnet-dir /usr/share/wordnet] [--out PATH]``.
The output is deterministic (file order, fixed columns), so a rebuild on any machine gives
the same table; the committed file is what every task reads at run time.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from w2s_lib.data.wordnet_source import (N_SYNSETS_WORDNET_3_0, SYNSETS_PARQUET, WORDNET_DIR,
                                         read_wordnet, synsets_frame)


def build(wordnet_dir: Path, out: Path) -> int:
    synsets = read_wordnet(wordnet_dir)
    if len(synsets) != N_SYNSETS_WORDNET_3_0:
        raise SystemExit(f"expected {N_SYNSETS_WORDNET_3_0} synsets (WordNet 3.0), read {len(synsets)}")
    frame = synsets_frame(synsets)
    frame["lexname"] = frame["lexname"].astype("category")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, out, compression="zstd", compression_level=19, use_dictionary=True)
    return len(frame)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wordnet-dir", type=Path, default=WORDNET_DIR)
    parser.add_argument("--out", type=Path, default=SYNSETS_PARQUET)
    args = parser.parse_args()
    started = time.perf_counter()
    n = build(args.wordnet_dir, args.out)
    size_mb = args.out.stat().st_size / 1e6
    print(f"wrote {n} synsets to {args.out} ({size_mb:.2f} MB) in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
