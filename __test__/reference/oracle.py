"""Runs the Python reference (`wkw`, `webknossos`) for the interop tests.

Usage: python oracle.py '<json request>'. Voxel data travels through files of raw bytes in the
(C, X, Y, Z) Fortran order both libraries use; results are printed as JSON.
"""
import json
import sys

import numpy as np
import wkw

BLOCK_TYPES = {"raw": wkw.Header.BLOCK_TYPE_RAW, "lz4": wkw.Header.BLOCK_TYPE_LZ4, "lz4hc": wkw.Header.BLOCK_TYPE_LZ4HC}


def header_json(h):
    names = {v: k for k, v in BLOCK_TYPES.items()}
    return {
        "blockLen": int(h.block_len),
        "fileLen": int(h.file_len),
        "blockType": names[h.block_type],
        "voxelType": np.dtype(h.voxel_type).name,
        "numChannels": int(h.num_channels),
    }


def wkw_read(r):
    with wkw.Dataset.open(r["dir"]) as ds:
        data = ds.read(r["offset"], r["shape"])
        with open(r["out"], "wb") as f:
            f.write(np.asfortranarray(data).tobytes(order="F"))
        return header_json(ds.header)


def wkw_write(r):
    h = r["header"]
    header = wkw.Header(
        np.dtype(h["voxelType"]),
        num_channels=h.get("numChannels", 1),
        block_len=h.get("blockLen", 32),
        file_len=h.get("fileLen", 32),
        block_type=BLOCK_TYPES[h.get("blockType", "raw")],
    )
    shape = [header.num_channels] + list(r["shape"])
    with open(r["in"], "rb") as f:
        data = np.frombuffer(f.read(), dtype=h["voxelType"]).reshape(shape, order="F")
    with wkw.Dataset.open(r["dir"], header) as ds:
        ds.write(r["offset"], data)
        return header_json(ds.header)


def wkw_compress(r):
    with wkw.Dataset.open(r["dir"]) as ds:
        ds.compress(r["target"], compress_files=True)
    return {}


def downsample_cube(r):
    """Today's webknossos filters on one single-channel (x, y, z) array; for the mode also the
    2021 rule (ties to the smallest value) and where ties occur."""
    import warnings

    warnings.simplefilter("ignore")
    from scipy.ndimage import zoom
    from webknossos.dataset.layer._downsampling_utils import InterpolationModes, downsample_cube

    shape, factors, dtype = r["shape"], r["factors"], np.dtype(r["dtype"])
    with open(r["in"], "rb") as f:
        data = np.frombuffer(f.read(), dtype=dtype).reshape(shape, order="F")
    mode = r["mode"]
    if mode in ("scipy_bilinear", "scipy_bicubic"):
        order = 1 if mode == "scipy_bilinear" else 2
        out = zoom(data, [1 / f for f in factors], output=dtype, order=order, mode="nearest", prefilter=True)
    else:
        out = downsample_cube(data, factors, InterpolationModes[mode.upper()])
    with open(r["out"], "wb") as f:
        f.write(np.asfortranarray(out).tobytes(order="F"))
    answer = {"shape": list(out.shape)}
    if mode == "mode":
        (x, y, z), (fx, fy, fz) = shape, factors
        windows = data.reshape(x // fx, fx, y // fy, fy, z // fz, fz).transpose(0, 2, 4, 1, 3, 5).reshape(x // fx, y // fy, z // fz, -1)
        ordered = np.sort(windows, axis=-1)
        counts = np.stack([(ordered == ordered[..., j : j + 1]).sum(-1) for j in range(ordered.shape[-1])], -1)
        is_max = counts == counts.max(-1, keepdims=True)
        smallest = np.take_along_axis(ordered, is_max.argmax(-1)[..., None], -1)[..., 0]
        largest = np.take_along_axis(ordered, (is_max.shape[-1] - 1 - is_max[..., ::-1].argmax(-1))[..., None], -1)[..., 0]
        with open(r["out"] + ".smallest", "wb") as f:
            f.write(np.asfortranarray(smallest.astype(dtype)).tobytes(order="F"))
        answer["ties"] = int((smallest != largest).sum())
    return answer


OPS = {"wkw_read": wkw_read, "wkw_write": wkw_write, "wkw_compress": wkw_compress, "downsample_cube": downsample_cube}

if __name__ == "__main__":
    request = json.loads(sys.argv[1])
    print(json.dumps(OPS[request["op"]](request)))
