"""Artifact upload and download through each server's artifact proxy, with S3 (moto's server)
behind both: `mlflow server --serve-artifacts --artifacts-destination s3://bench/mlflow` (its default
workers) against `slipway server --artifacts-destination s3://bench/slipway`. The same MLflow client
calls on both sides, timed from file to file: `log_artifact` of one file, `log_artifacts` of a
folder of small files, `download_artifacts` of each. Prints the median of a few rounds, MB/s, and
the ratio (MLflow's time / Slipway's)."""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import boto3  # noqa: E402
import mlflow  # noqa: E402
from mlflow import MlflowClient  # noqa: E402

from common import free_port, random_file, start, stop, wait_ready  # noqa: E402

MB = 1 << 20
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}


def timed(fn):
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def measure(url, workdir, sizes, small_files, rounds):
    """{operation: median seconds} for one server."""
    mlflow.set_tracking_uri(url)
    client = MlflowClient(url)
    experiment = client.create_experiment(f"bench-{time.time_ns()}")
    results = {}
    for size in sizes:
        source = random_file(Path(workdir) / f"blob-{size // MB}MB.bin", size)
        up, down = [], []
        for _ in range(rounds):
            run = client.create_run(experiment).info.run_id
            up.append(timed(lambda: client.log_artifact(run, str(source))))
            target = Path(tempfile.mkdtemp(dir=workdir))
            down.append(timed(lambda: mlflow.artifacts.download_artifacts(run_id=run, artifact_path=source.name, dst_path=str(target))))
            assert (target / source.name).stat().st_size == size
            shutil.rmtree(target)
        results[f"upload {size // MB} MB"] = (statistics.median(up), size)
        results[f"download {size // MB} MB"] = (statistics.median(down), size)
    folder = Path(workdir) / "small"
    if not folder.exists():
        folder.mkdir()
        for i in range(small_files):
            (folder / f"f{i:03}.bin").write_bytes(os.urandom(10 * 1024))
    up, down = [], []
    for _ in range(rounds):
        run = client.create_run(experiment).info.run_id
        up.append(timed(lambda: client.log_artifacts(run, str(folder), "small")))
        target = Path(tempfile.mkdtemp(dir=workdir))
        down.append(timed(lambda: mlflow.artifacts.download_artifacts(run_id=run, artifact_path="small", dst_path=str(target))))
        shutil.rmtree(target)
    results[f"upload {small_files} x 10 KB"] = (statistics.median(up), small_files * 10 * 1024)
    results[f"download {small_files} x 10 KB"] = (statistics.median(down), small_files * 10 * 1024)
    return results


def direct(moto_url, workdir, sizes, rounds):
    """{operation: median seconds} for boto3 talking to moto itself."""
    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench")
    results = {}
    for size in sizes:
        source = random_file(Path(workdir) / f"blob-{size // MB}MB.bin", size)
        up = [timed(lambda: s3.upload_file(str(source), "bench", f"direct/{source.name}")) for _ in range(rounds)]
        target = Path(workdir) / "direct.bin"
        down = [timed(lambda: s3.download_file("bench", f"direct/{source.name}", str(target))) for _ in range(rounds)]
        target.unlink()
        results[f"upload {size // MB} MB"] = (statistics.median(up), size)
        results[f"download {size // MB} MB"] = (statistics.median(down), size)
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--slipway", required=True)
    parser.add_argument("--sizes", default="10,100", help="file sizes in MB")
    parser.add_argument("--small-files", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) * MB for s in args.sizes.split(",")]
    workdir = tempfile.mkdtemp(prefix="bench-s3-")
    moto_port = free_port()
    moto_url = f"http://127.0.0.1:{moto_port}"
    processes = [start([str(Path(sys.executable).parent / "moto_server"), "-p", str(moto_port)], f"{workdir}/moto.log", {})]
    try:
        wait_ready(moto_url, "/moto-api/")
        boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench").create_bucket(Bucket="bench")
        env = {**CREDENTIALS, "MLFLOW_S3_ENDPOINT_URL": moto_url}
        mlflow_port, slipway_port = free_port(), free_port()
        processes.append(start([sys.executable, "-m", "mlflow", "server", "--backend-store-uri", f"sqlite:///{workdir}/mlflow.db", "--serve-artifacts",
                                "--artifacts-destination", "s3://bench/mlflow", "--host", "127.0.0.1", "--port", str(mlflow_port)], f"{workdir}/mlflow.log", env))
        processes.append(start([args.slipway, "server", "--port", str(slipway_port), "--data-dir", f"{workdir}/slipway",
                                "--artifacts-destination", "s3://bench/slipway"], f"{workdir}/slipway.log", {**env, "LOG_LEVEL": "warning"}))
        mlflow_url, slipway_url = f"http://127.0.0.1:{mlflow_port}", f"http://127.0.0.1:{slipway_port}"
        wait_ready(mlflow_url)
        wait_ready(slipway_url)
        floor = direct(moto_url, workdir, sizes, args.rounds)
        theirs = measure(mlflow_url, workdir, sizes, args.small_files, args.rounds)
        ours = measure(slipway_url, workdir, sizes, args.small_files, args.rounds)
        print(f"\nArtifacts through each server's proxy to moto's S3 (median of {args.rounds}; the MLflow client on both sides)")
        print(f"{'operation':<24}{'MLflow s':>10}{'MB/s':>8}{'Slipway s':>11}{'MB/s':>8}{'ratio':>8}")
        for operation, (mlflow_seconds, size) in theirs.items():
            slipway_seconds = ours[operation][0]
            print(f"{operation:<24}{mlflow_seconds:>10.3f}{size / MB / mlflow_seconds:>8.1f}{slipway_seconds:>11.3f}{size / MB / slipway_seconds:>8.1f}"
                  f"{mlflow_seconds / slipway_seconds:>7.1f}x")
        print("\nThe floor: boto3 straight to moto, no server between (upload_file / download_file, median of "
              f"{args.rounds}); moto's own speed bounds both servers")
        for operation, (seconds, size) in floor.items():
            print(f"{operation:<24}{seconds:>10.3f}{size / MB / seconds:>8.1f}")
    finally:
        for process in reversed(processes):
            stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
