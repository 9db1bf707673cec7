"""The Python `wkw` half of one round of `npm run bench`: the same writes, compression and reads
as ours, on the same input bytes. Prints one JSON object of seconds."""
import json
import shutil
import sys
import time

import numpy as np
import wkw


def timed(work):
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main(request):
    dtype = np.dtype(request["dtype"])
    edge, slab, work = request["edge"], request["slab"], request["dir"]
    volume = np.memmap(request["input"], dtype=dtype, mode="r", shape=(1, edge, edge, edge), order="F")
    raw_dir, lz4hc_dir = f"{work}/raw", f"{work}/lz4hc"
    shutil.rmtree(work, ignore_errors=True)
    raw = wkw.Dataset.open(raw_dir, wkw.Header(dtype))

    def write_raw():
        for z in range(0, edge, slab):
            raw.write((0, 0, z), np.asfortranarray(volume[:, :, :, z : z + slab]))

    def read():
        compressed = wkw.Dataset.open(lz4hc_dir)
        for z in range(0, edge, slab):
            compressed.read((0, 0, z), (edge, edge, slab))

    seconds = {"writeRaw": timed(write_raw)}
    seconds["compress"] = timed(lambda: raw.compress(lz4hc_dir, compress_files=True))
    # Deleted before the read, as on our side: on tmpfs the raw file takes memory from it.
    shutil.rmtree(raw_dir)
    seconds["readLz4hc"] = timed(read)
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(seconds))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
