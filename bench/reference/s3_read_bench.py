"""The tensorstore half of one round of `npm run bench -- remote`: reads a region of a Zarr v3
array from the S3 server given (the AWS variables hold its endpoint and credentials) through
tensorstore's S3 kvstore, on all cores. Prints one JSON object of seconds."""
import json
import os
import sys
import time

import tensorstore as ts


def main():
    request = json.loads(sys.argv[1])
    spec = {
        "driver": "zarr3",
        "kvstore": {
            "driver": "s3",
            "bucket": request["bucket"],
            "path": request["path"].rstrip("/") + "/",
            "endpoint": os.environ["AWS_ENDPOINT_URL"],
            "aws_region": os.environ.get("AWS_REGION", "us-east-1"),
            "aws_credentials": {"type": "environment"},
        },
        # A fresh context per round: nothing cached from the round before.
        "context": {"cache_pool": {"total_bytes_limit": 0}},
    }
    array = ts.open(spec, open=True, read=True).result()
    edge = request["edge"]
    start = time.perf_counter()
    data = array[0, 0:edge, 0:edge, 0:edge].read().result()
    read = time.perf_counter() - start
    print(json.dumps({"read": read, "checksum": int(data.sum(dtype="uint64"))}))


if __name__ == "__main__":
    main()
