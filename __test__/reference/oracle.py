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


OPS = {"wkw_read": wkw_read, "wkw_write": wkw_write, "wkw_compress": wkw_compress}

if __name__ == "__main__":
    request = json.loads(sys.argv[1])
    print(json.dumps(OPS[request["op"]](request)))
