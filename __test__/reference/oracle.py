"""Runs the Python reference (`wkw`, `webknossos`) for the interop tests.

Usage: python oracle.py '<json request>'. Voxel data travels through files of raw bytes in the
(C, X, Y, Z) Fortran order both libraries use; results are printed as JSON.
"""
import json
import os
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


def dataset_path(path):
    """A local path, or an s3:// URL on the endpoint and with the keys of the AWS variables: the
    form today's webknossos needs to reach an S3 server other than AWS's."""
    if not path.startswith("s3://"):
        return path
    from upath import UPath

    return UPath(path, endpoint_url=os.environ["AWS_ENDPOINT_URL"], key=os.environ["AWS_ACCESS_KEY_ID"], secret=os.environ["AWS_SECRET_ACCESS_KEY"])


def dataset_describe(r):
    """Opens a dataset with today's webknossos and reports its layers and mags; every mag's
    voxels in the layer box (aligned to the mag) go to a file in r["out"]."""
    import webknossos as wk

    ds = wk.Dataset.open(dataset_path(r["path"]))
    layers = []
    for name, layer in ds.layers.items():
        bbox = layer.bounding_box
        mags = []
        for mag_view in layer.mags.values():
            mag = mag_view.mag
            aligned = bbox.align_with_mag(mag, ceil=True)
            out = f'{r["out"]}/{name}-{mag.to_layer_name()}.bin'
            with open(out, "wb") as f:
                f.write(np.asfortranarray(mag_view.read(absolute_bounding_box=aligned)).tobytes(order="F"))
            info = mag_view.info
            in_mag = aligned.in_mag(mag)
            mags.append({
                "mag": mag.to_layer_name(),
                "topLeft": list(in_mag.topleft),
                "size": list(in_mag.size),
                "chunkShape": [int(v) for v in info.chunk_shape],
                "shardShape": [int(v) for v in info.shard_shape],
                "compressed": bool(info.compression_mode),
                "out": out,
            })
        layers.append({
            "name": name,
            "category": layer.category,
            "dataFormat": str(layer.data_format),
            "dtype": np.dtype(layer.dtype).name,
            "numChannels": int(layer.num_channels),
            "topLeft": list(bbox.topleft),
            "size": list(bbox.size),
            "largestSegmentId": getattr(layer, "largest_segment_id", None),
            "mags": mags,
        })
    return {"name": ds.name, "voxelSize": [float(v) for v in ds.voxel_size], "layers": layers}


def dataset_create(r):
    """Creates a dataset with today's webknossos: each layer gets mag 1 from a file of voxels,
    then (optionally) its downsampled mags. A layer without "dataFormat", "chunkShape" and
    "shardShape" gets the library's defaults (Zarr v3, 32³ chunks in 1024³ shards, compressed)."""
    import webknossos as wk
    from cluster_tools import SequentialExecutor

    ds = wk.Dataset(dataset_path(r["path"]), voxel_size=tuple(r["voxelSize"]))
    for spec in r["layers"]:
        extra = {"largest_segment_id": spec["largestSegmentId"]} if "largestSegmentId" in spec else {}
        if "dataFormat" in spec:
            extra["data_format"] = spec["dataFormat"]
        layer = ds.add_layer(spec["name"], spec["category"], dtype=spec["dtype"], num_channels=spec["numChannels"], **extra)
        shapes = {k: spec[key] for k, key in (("chunk_shape", "chunkShape"), ("shard_shape", "shardShape")) if key in spec}
        mag1 = layer.add_mag(1, compress=spec.get("compress", True), **shapes)
        shape = [spec["numChannels"]] + list(spec["shape"])
        with open(spec["in"], "rb") as f:
            data = np.frombuffer(f.read(), dtype=spec["dtype"]).reshape(shape, order="F")
        mag1.write(data, absolute_offset=spec["offset"], allow_resize=True, allow_unaligned=True)
        if spec.get("coarsestMag"):
            layer.downsample(coarsest_mag=wk.Mag(spec["coarsestMag"]), executor=SequentialExecutor())
    return {}


def tensorstore_read(r):
    """Reads a whole Zarr array (r["driver"]: "zarr3" or "zarr") with tensorstore directly; the
    voxels go to r["out"] in the (C, X, Y, Z) Fortran order."""
    import tensorstore as ts

    array = ts.open({"driver": r["driver"], "kvstore": {"driver": "file", "path": r["path"]}}).result()
    box = tuple(slice(0, n) for n in r["shape"])
    data = array[box].read().result()
    with open(r["out"], "wb") as f:
        f.write(np.asfortranarray(data).tobytes(order="F"))
    return {"shape": list(array.shape), "dtype": array.dtype.numpy_dtype.name}


def tiff_pixels(r):
    """The pixels of each TIFF file as Pillow decodes them, x fastest, one after the other."""
    from PIL import Image

    shapes, dtypes = [], []
    with open(r["out"], "wb") as f:
        for name in r["files"]:
            image = np.asarray(Image.open(name))
            shapes.append(list(image.shape))
            dtypes.append(image.dtype.name)
            f.write(np.ascontiguousarray(image).tobytes())
    return {"shapes": shapes, "dtypes": dtypes}


OPS = {
    "wkw_read": wkw_read,
    "wkw_write": wkw_write,
    "wkw_compress": wkw_compress,
    "downsample_cube": downsample_cube,
    "dataset_describe": dataset_describe,
    "dataset_create": dataset_create,
    "tensorstore_read": tensorstore_read,
    "tiff_pixels": tiff_pixels,
}

if __name__ == "__main__":
    import contextlib
    import warnings

    # The answer is the only line on stdout: the libraries' progress output goes to stderr, and
    # their warnings about optional image readers are not ours to show.
    warnings.simplefilter("ignore")
    request = json.loads(sys.argv[1])
    with contextlib.redirect_stdout(sys.stderr):
        answer = OPS[request["op"]](request)
    print(json.dumps(answer))
