// Times one model in-process: load, single-row latency, and batch throughput at 1 and N threads.
// Usage: slipway-runtime-bench MODEL INPUT.f64 ROWS COLUMNS OUTPUT.f64 [THREADS]
// INPUT.f64 is ROWS*COLUMNS little-endian doubles, row-major; the 1-thread batch's predictions are
// written to OUTPUT.f64 so the caller can check them against the library's. Prints one JSON line.
import Foundation
import SlipwayCore
import SlipwayModels

let arguments = CommandLine.arguments
guard arguments.count >= 6, let rows = Int(arguments[3]), let columns = Int(arguments[4]) else {
    FileHandle.standardError.write("usage: slipway-runtime-bench MODEL INPUT.f64 ROWS COLUMNS OUTPUT.f64 [THREADS]\n".data(using: .utf8)!)
    exit(2)
}
let threads = arguments.count > 6 ? Int(arguments[6]) ?? 2 : 2

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

do {
    var loads: [Double] = []
    var model: (any Predictor)?
    for _ in 0..<5 { loads.append(try seconds { model = try ModelLoader.load(path: arguments[1]) }) }
    let predictor = model!

    let data = try Data(contentsOf: URL(fileURLWithPath: arguments[2]))
    let values = data.withUnsafeBytes { Array($0.bindMemory(to: Double.self).prefix(rows * columns)) }
    let batch = try FeatureMatrix(rows: rows, columns: columns, values: values)

    var single: [Double] = []
    for i in 0..<2000 {
        let row = try FeatureMatrix(rows: 1, columns: columns, values: Array(values[(i % rows) * columns..<(i % rows + 1) * columns]))
        single.append(try seconds { _ = try predictor.predict(row, threads: 1) })
    }
    single.sort()

    var predictions: [Double] = []
    var oneThread: [Double] = [], manyThreads: [Double] = []
    for _ in 0..<5 {
        oneThread.append(try seconds { predictions = try predictor.predict(batch, threads: 1) })
        manyThreads.append(try seconds { _ = try predictor.predict(batch, threads: threads) })
    }
    try predictions.withUnsafeBufferPointer { try Data(buffer: $0).write(to: URL(fileURLWithPath: arguments[5])) }
    let best1 = oneThread.min()!, bestN = manyThreads.min()!
    print("""
    {"load_ms": \(loads.min()! * 1000), "single_p50_us": \(single[single.count / 2] * 1e6), "single_p99_us": \(single[single.count * 99 / 100] * 1e6), \
    "rows_per_s_1": \(Double(rows) / best1), "rows_per_s_n": \(Double(rows) / bestN), "threads": \(threads)}
    """)
} catch let error as SlipwayError {
    FileHandle.standardError.write("error: \(error.message)\n".data(using: .utf8)!)
    exit(1)
}
