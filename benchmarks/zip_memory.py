"""Peak memory of reading a small zip that expands to a gigabyte, through srdemo's one safe reader.

    python benchmarks/zip_memory.py

Two zips of about 27 MB, each holding one 1 GiB entry (ratio ~40, under the per-entry ratio
check) and one ordinary image: one that declares the entry's size honestly, one whose central
directory claims 40 MB (so only reading it can tell). Each is read by ``datasets.iter_files`` in a
fresh process; the table gives how much that process's peak RSS grew while reading, and what
became of the entry. Issue 24's target: under 200 MB (it was +1.9 GB at 20c148b).
"""

from __future__ import annotations

import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

PROBE = (
    "import resource, sys, pathlib\n"
    "from srdemo.datasets import iter_files\n"
    "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "entries = [(e.name, e.problem) for e in iter_files([pathlib.Path(sys.argv[1])])]\n"
    "grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024\n"
    "print(grown, [p or 'read' for _, p in entries if _ == 'huge.png'][0])\n"
)


def make(path: Path, claim: int | None) -> None:
    """A 1 GiB entry of mostly zeros with 21 KB of noise per MiB; ``claim`` rewrites its declared size."""
    block = bytearray(1 << 20)
    block[:21000] = np.random.default_rng(0).integers(0, 256, 21000, dtype=np.uint8).tobytes()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("huge.png", "w") as fh:  # under 2 GiB: plain (not zip64) headers
            for _ in range(1024):
                fh.write(bytes(block))
        zf.writestr("ok.png", b"\x89PNG\r\n\x1a\n")
    if claim is not None:
        data = bytearray(path.read_bytes())
        cd = data.index(b"PK\x01\x02")  # huge.png's central directory entry comes first
        data[cd + 24 : cd + 28] = struct.pack("<I", claim)
        path.write_bytes(bytes(data))


def main() -> None:
    print(f"{'zip':<36} {'size MB':>8} {'peak RSS growth MB':>19}  entry")
    with tempfile.TemporaryDirectory() as tmp:
        for label, claim in (("1 GiB entry, honest sizes", None), ("1 GiB entry claiming 40 MB", 40_000_000)):
            path = Path(tmp) / "big.zip"
            make(path, claim)
            out = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, check=True)
            grown, outcome = out.stdout.split(" ", 1)
            print(f"{label:<36} {path.stat().st_size / 1e6:>8.1f} {int(grown):>19}  {outcome.strip()}")


if __name__ == "__main__":
    main()
