public import SlipwayCore

/// The rows of a prediction request body read straight from its bytes, for the shapes batch
/// clients send: a top-level array of rows, `{"instances": [...]}`, `{"inputs": [...]}`,
/// `{"dataframe_records": [...]}`, and `{"dataframe_split": {"columns": [...], "data": [...]}}`
/// with the model's columns in the model's order. A row object must give every feature.
public enum RequestRows {
    typealias RowError = JSONFeatureRows.RowError

    /// The features, or nil for another shape and for a body with any error: the caller's general
    /// reader then reads the body and names the error.
    public static func features(_ body: UnsafeRawBufferPointer, model: any Predictor, maxRows: Int) -> FeatureMatrix? {
        guard model.featureCount > 0, model.featureNames.isEmpty || model.featureNames.count == model.featureCount else { return nil }
        var reader = JSONFeatureRows(featureNames: model.featureNames, featureCount: model.featureCount, absent: .refused, textCategories: model.textCategories)
        reader.strict = true
        var i = 0
        var values: [Double] = []
        do throws(RowError) {
            if step(body, &i, over: "{") {
                JSONBytes.skipSpace(body, &i)
                let key = try JSONBytes.string(body, at: &i)
                guard step(body, &i, over: ":") else { return nil }
                let split = key.elementsEqual("dataframe_split".utf8)
                if split {
                    guard try columns(body, at: &i, names: model.featureNames) else { return nil }
                } else if !(key.elementsEqual("instances".utf8) || key.elementsEqual("inputs".utf8) || key.elementsEqual("dataframe_records".utf8)) {
                    return nil
                }
                guard try rows(body, at: &i, reader: &reader, into: &values, maxRows: maxRows, arraysOnly: split),
                      !split || step(body, &i, over: "}"), step(body, &i, over: "}") else { return nil }
            } else {
                guard try rows(body, at: &i, reader: &reader, into: &values, maxRows: maxRows, arraysOnly: false) else { return nil }
            }
            JSONBytes.skipSpace(body, &i)
            guard i == body.count, !values.isEmpty else { return nil }
        } catch {
            return nil
        }
        return try? FeatureMatrix(rows: values.count / model.featureCount, columns: model.featureCount, values: values)
    }

    /// Skips spaces and steps over `byte`; false (and `i` at the other byte) when another byte is there.
    @inline(__always)
    static func step(_ b: UnsafeRawBufferPointer, _ i: inout Int, over byte: Unicode.Scalar) -> Bool {
        JSONBytes.skipSpace(b, &i)
        guard i < b.count, b[i] == UInt8(ascii: byte) else { return false }
        i += 1
        return true
    }

    /// `{"columns": [the model's names, in order], "data":` — leaves `i` at the data's array.
    static func columns(_ b: UnsafeRawBufferPointer, at i: inout Int, names: [String]) throws(RowError) -> Bool {
        guard !names.isEmpty, step(b, &i, over: "{") else { return false }
        JSONBytes.skipSpace(b, &i)
        guard try JSONBytes.string(b, at: &i).elementsEqual("columns".utf8), step(b, &i, over: ":"), step(b, &i, over: "[") else { return false }
        for (k, name) in names.enumerated() {
            JSONBytes.skipSpace(b, &i)
            guard try JSONBytes.string(b, at: &i).elementsEqual(name.utf8) else { return false }
            guard try JSONBytes.next(b, &i, close: UInt8(ascii: "]")) == (k < names.count - 1) else { return false }
        }
        guard step(b, &i, over: ",") else { return false }
        JSONBytes.skipSpace(b, &i)
        return try JSONBytes.string(b, at: &i).elementsEqual("data".utf8) && step(b, &i, over: ":")
    }

    /// An array of rows into `values`; false when it is empty or holds more than `maxRows` (the
    /// general reader says so), or, with `arraysOnly`, holds a row that is not an array.
    static func rows(
        _ b: UnsafeRawBufferPointer, at i: inout Int, reader: inout JSONFeatureRows, into values: inout [Double], maxRows: Int,
        arraysOnly: Bool
    ) throws(RowError) -> Bool {
        guard step(b, &i, over: "[") else { return false }
        JSONBytes.skipSpace(b, &i)
        if i < b.count, b[i] == UInt8(ascii: "]") { return false }
        let width = reader.featureCount
        var count = 0
        while true {
            count += 1
            guard count <= maxRows else { return false }
            JSONBytes.skipSpace(b, &i)
            guard !arraysOnly || (i < b.count && b[i] == UInt8(ascii: "[")) else { return false }
            let base = values.count
            values.append(contentsOf: repeatElement(Double.nan, count: width))
            try values.withUnsafeMutableBufferPointer { all throws(RowError) in
                try reader.read(b, at: &i, into: UnsafeMutableBufferPointer(rebasing: all[base..<(base + width)]))
            }
            guard try JSONBytes.next(b, &i, close: UInt8(ascii: "]")) else { return true }
        }
    }
}
