"""The tensorstore half of one round of `npm run bench -- zarr`: the same sharded zstd Zarr v3
writes and reads as ours (the metadata today's webknossos creates, through tensorstore, on all
cores), then a 24³ unaligned write into the compressed shard. Prints one JSON object of seconds."""
import json
import os
import shutil
import sys
import time

import numpy as np
import tensorstore as ts


def timed(work):
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def metadata(dtype, edge):
    bytes_codec = {"name": "bytes", "configuration": {"endian": "little"}}
    return {
        "data_type": np.dtype(dtype).name,
        "shape": [1, edge, edge, edge],
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [1, 1024, 1024, 1024]}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": 0,
        "dimension_names": ["c", "x", "y", "z"],
        "codecs": [{
            "name": "sharding_indexed",
            "configuration": {
                "chunk_shape": [1, 32, 32, 32],
                "codecs": [
                    {"name": "transpose", "configuration": {"order": [3, 2, 1, 0]}},
                    bytes_codec,
                    {"name": "zstd", "configuration": {"level": 5, "checksum": True}},
                ],
                "index_codecs": [bytes_codec, {"name": "crc32c"}],
            },
        }],
    }


def main(request):
    dtype = np.dtype(request["dtype"])
    edge, slab, work = request["edge"], request["slab"], request["dir"]
    volume = np.memmap(request["input"], dtype=dtype, mode="r", shape=(1, edge, edge, edge), order="F")
    shutil.rmtree(work, ignore_errors=True)
    # What webknossos uses: one shared context, all cores copying data, no cache kept.
    context = ts.Context({"data_copy_concurrency": {"limit": os.cpu_count()}, "cache_pool": {"total_bytes_limit": 0}})
    spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": work}, "metadata": metadata(dtype, edge)}
    array = ts.open(spec, create=True, context=context).result()

    def write():
        for z in range(0, edge, slab):
            array[0, :, :, z : z + slab].write(np.asfortranarray(volume[0, :, :, z : z + slab])).result()

    def read():
        for z in range(0, edge, slab):
            array[0, :, :, z : z + slab].read(order="F").result()

    block = np.asfortranarray(volume[0, :24, :24, :24])

    def small_write():
        array[0, 500:524, 500:524, 500:524].write(block).result()

    seconds = {"write": timed(write)}
    seconds["read"] = timed(read)
    seconds["smallWrite"] = timed(small_write)
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(seconds))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
