"""The Python `webknossos` half of `npm run bench -- downsample`: downsamples a layer (written by
our library, read through the Python API) to mag 8 with LZ4HC output, and times the filter alone
on one source tile, best of `runs`. Prints one JSON object."""
import json
import resource
import sys
import time
import warnings

warnings.simplefilter("ignore")

import numpy as np
import webknossos as wk
from webknossos.dataset.layer._downsampling_utils import InterpolationModes, downsample_cube


def main(request):
    layer = wk.Dataset.open(request["dataset"]).get_layer(request["layer"])
    start = time.perf_counter()
    layer.downsample(
        coarsest_mag=wk.Mag(request["maxMag"]),
        interpolation_mode=request["mode"],
        compress=True,
        sampling_mode="isotropic",
    )
    seconds = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss

    edge = request["tileEdge"]
    tile = layer.get_mag(1).read(absolute_offset=(0, 0, 0), size=(edge, edge, edge))[0]
    mode = InterpolationModes[request["mode"].upper()]
    downsample_cube(tile, [2, 2, 2], mode)  # numba compiles on the first call
    filter_seconds = float("inf")
    for _ in range(request["runs"]):
        filter_start = time.perf_counter()
        downsample_cube(tile, [2, 2, 2], mode)
        filter_seconds = min(filter_seconds, time.perf_counter() - filter_start)
    print(json.dumps({
        "seconds": seconds,
        "peakBytes": max(own, workers) * 1024,
        "filterVoxelsPerSecond": tile.size / filter_seconds,
    }))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
