"""The Python `wkw` half of `npm run bench`: the same writes, compression and reads as ours, on
the same input bytes, each the best of `repeat` runs. Prints one JSON object of seconds."""
import json
import shutil
import sys
import time

import numpy as np
import wkw


def best(repeat, prepare, work):
    runs = []
    for _ in range(repeat):
        prepare()
        start = time.perf_counter()
        work()
        runs.append(time.perf_counter() - start)
    return min(runs)


def main(request):
    dtype = np.dtype(request["dtype"])
    edge, slab, work, repeat = request["edge"], request["slab"], request["dir"], request["repeat"]
    volume = np.memmap(request["input"], dtype=dtype, mode="r", shape=(1, edge, edge, edge), order="F")
    raw_dir, lz4hc_dir = f"{work}/raw", f"{work}/lz4hc"
    datasets = {}

    def fresh_raw():
        shutil.rmtree(raw_dir, ignore_errors=True)
        datasets["raw"] = wkw.Dataset.open(raw_dir, wkw.Header(dtype))

    def write_raw():
        for z in range(0, edge, slab):
            datasets["raw"].write((0, 0, z), np.asfortranarray(volume[:, :, :, z : z + slab]))

    def compress():
        datasets["raw"].compress(lz4hc_dir, compress_files=True)

    def read():
        compressed = wkw.Dataset.open(lz4hc_dir)
        for z in range(0, edge, slab):
            compressed.read((0, 0, z), (edge, edge, slab))

    seconds = {
        "writeRaw": best(repeat, fresh_raw, write_raw),
        "compress": best(repeat, lambda: shutil.rmtree(lz4hc_dir, ignore_errors=True), compress),
        "readLz4hc": best(repeat, lambda: shutil.rmtree(raw_dir, ignore_errors=True), read),
    }
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(seconds))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
