/// The program a Python worker runs (`python -c`): it loads one MLflow model directory with
/// `mlflow.pyfunc.load_model`, says what it takes and answers, then answers batches until its
/// input closes. Frames are a 4-byte little-endian length and a payload; everything the model
/// prints goes to stderr, so stdout carries frames only.
///
/// - Hello (worker → host): JSON `{"ok": true, "columns": [...], "flavor": ..., "output": "numbers"|"labels",
///   "width": k}` or `{"ok": false, "error": ...}`.
/// - Request (host → worker): `u32 rows, u32 columns`, then the rows as little-endian doubles.
/// - Answer: `u8 0, u32 rows, u32 width`, doubles; `u8 2`, a JSON list of text labels; or `u8 1`, an error message.
enum PythonWorkerScript {
    static let source = #"""
import json, os, struct, sys, traceback
out = os.fdopen(os.dup(1), "wb", buffering=0)
os.dup2(2, 1)
inp = os.fdopen(0, "rb", buffering=0)

def send(payload):
    out.write(struct.pack("<I", len(payload)) + payload)

def read_exact(n):
    chunks = []
    while n > 0:
        b = inp.read(n)
        if not b:
            sys.exit(0)
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)

def answer(result):
    import numpy as np
    arr = np.asarray(result)
    if arr.dtype.kind == "O":
        try:
            arr = arr.astype("float64")
        except (TypeError, ValueError):
            arr = arr.astype(str)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.dtype.kind in "USO":
        return b"\x02" + json.dumps([str(v) for v in arr.reshape(-1)]).encode()
    arr = arr.astype("<f8")
    rows = arr.shape[0]
    width = 1 if arr.ndim == 1 else int(np.prod(arr.shape[1:]))
    return b"\x00" + struct.pack("<II", rows, width) + arr.reshape(rows * width).tobytes()

try:
    import numpy as np, pandas as pd
    import mlflow.pyfunc
    from mlflow.models import Model
    directory = sys.argv[2]
    model = mlflow.pyfunc.load_model(directory)
    meta = Model.load(directory)
    schema = meta.get_input_schema()
    columns, types = [], []
    if schema is not None and schema.has_input_names():
        for spec in schema.inputs:
            kind = str(getattr(spec, "type", "double")).split(".")[-1].lower()
            if kind in ("string", "binary", "datetime"):
                raise ValueError(f"the model takes column '{spec.name}' as {kind}; Slipway's Python workers send numeric columns")
            columns.append(spec.name)
            types.append(kind)
    else:
        impl = model._model_impl
        inner = getattr(impl, "sklearn_model", impl)
        names = getattr(inner, "feature_names_in_", None)
        count = getattr(inner, "n_features_in_", None)
        if names is not None:
            columns = [str(n) for n in names]
        elif count is not None:
            columns = [f"{i}" for i in range(int(count))]
        else:
            raise ValueError("the model has no input signature and does not say how many features it takes; log it with a signature or an input example")
        types = ["double"] * len(columns)
    dtypes = {"double": "float64", "float": "float32", "long": "int64", "integer": "int32", "boolean": "bool"}

    def frame(values, rows):
        df = pd.DataFrame(values.reshape(rows, len(columns)), columns=columns)
        for name, kind in zip(columns, types):
            target = dtypes.get(kind)
            if target and target != "float64":
                if df[name].isna().any():
                    raise ValueError(f"column '{name}' is {kind} and cannot hold a missing value")
                df[name] = df[name].astype(target)
        return df

    probe = frame(np.zeros(len(columns)), 1)
    example = None
    try:
        example = meta.load_input_example(directory)
    except Exception:
        pass
    if isinstance(example, pd.DataFrame) and all(c in example.columns for c in columns):
        probe = example[columns].head(1)
    first = answer(model.predict(probe))
    output = "labels" if first[:1] == b"\x02" else "numbers"
    width = 1 if output == "labels" else struct.unpack("<II", first[1:9])[1]
    flavor = meta.flavors.get("python_function", {}).get("loader_module", "python_function")
    send(json.dumps({"ok": True, "columns": columns, "flavor": flavor, "output": output, "width": width}).encode())
except BaseException as e:
    send(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"}).encode())
    sys.exit(1)

while True:
    length = struct.unpack("<I", read_exact(4))[0]
    payload = read_exact(length)
    try:
        rows, cols = struct.unpack("<II", payload[:8])
        if cols != len(columns):
            raise ValueError(f"the model takes {len(columns)} columns, got {cols}")
        values = np.frombuffer(payload[8:], dtype="<f8", count=rows * cols)
        send(answer(model.predict(frame(values, rows))))
    except Exception as e:
        send(b"\x01" + f"{type(e).__name__}: {e}".encode())
"""#
}
