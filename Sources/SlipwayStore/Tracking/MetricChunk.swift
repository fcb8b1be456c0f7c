import SlipwayCore

/// The packed form of metric points in `metric_chunks.points`: 24 bytes a point, little-endian
/// step (Int64), timestamp (Int64) and the value's IEEE-754 bits (so NaN and infinities survive).
enum MetricChunk {
    static let pointSize = 24

    static func encode(_ points: some Collection<Metric>) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: points.count * pointSize)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            for point in points {
                buffer.storeBytes(of: point.step.littleEndian, toByteOffset: offset, as: Int64.self)
                buffer.storeBytes(of: point.timestamp.littleEndian, toByteOffset: offset + 8, as: Int64.self)
                buffer.storeBytes(of: point.value.bitPattern.littleEndian, toByteOffset: offset + 16, as: UInt64.self)
                offset += pointSize
            }
        }
        return bytes
    }

    /// The points of a chunk, each carrying the chunk's key, model, dataset and run.
    static func decode(_ bytes: [UInt8], template: Metric) throws -> [Metric] {
        guard bytes.count % pointSize == 0 else {
            throw SlipwayError(.internalError, "A metric chunk of \(bytes.count) bytes is not a whole number of points")
        }
        var points: [Metric] = []
        points.reserveCapacity(bytes.count / pointSize)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                var point = template
                point.step = Int64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: Int64.self))
                point.timestamp = Int64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset + 8, as: Int64.self))
                point.value = Double(bitPattern: UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self)))
                points.append(point)
                offset += pointSize
            }
        }
        return points
    }

    /// History order: step, then timestamp, then value.
    static func historyOrder(_ a: Metric, _ b: Metric) -> Bool {
        if a.step != b.step { return a.step < b.step }
        if a.timestamp != b.timestamp { return a.timestamp < b.timestamp }
        return (a.value.isNaN ? 0 : a.value) < (b.value.isNaN ? 0 : b.value)
    }
}
