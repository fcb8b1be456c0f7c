import Foundation
import SlipwayCore
import SlipwayONNXProto

/// A tensor flowing along an ONNX graph: a shape and its elements, row-major. Integers of every
/// width are held as Int64 (what the classical-ML operators compute with); float16 and complex
/// types are not read.
struct ONNXTensor: Sendable {
    enum Elements: Sendable {
        case float([Float])
        case double([Double])
        case int64([Int64])
        case string([String])
        case bool([Bool])
    }

    var shape: [Int]
    var elements: Elements

    init(shape: [Int], _ elements: Elements) {
        self.shape = shape
        self.elements = elements
    }

    var count: Int {
        switch elements {
        case .float(let v): v.count
        case .double(let v): v.count
        case .int64(let v): v.count
        case .string(let v): v.count
        case .bool(let v): v.count
        }
    }

    var typeName: String {
        switch elements {
        case .float: "float"
        case .double: "double"
        case .int64: "int64"
        case .string: "string"
        case .bool: "bool"
        }
    }

    var isNumeric: Bool {
        switch elements {
        case .string: false
        default: true
        }
    }

    /// The elements as doubles (bools as 0 and 1); nil for strings.
    var doubles: [Double]? {
        switch elements {
        case .float(let v): v.map(Double.init)
        case .double(let v): v
        case .int64(let v): v.map(Double.init)
        case .bool(let v): v.map { $0 ? 1 : 0 }
        case .string: nil
        }
    }

    /// The elements as floats; nil for strings.
    var floats: [Float]? {
        if case .float(let v) = elements { return v }
        return doubles?.map(Float.init)
    }

    /// The elements as integers (floats truncated toward zero, as a cast does); nil for strings.
    var int64s: [Int64]? {
        switch elements {
        case .int64(let v): return v
        case .bool(let v): return v.map { $0 ? 1 : 0 }
        case .string: return nil
        default: return doubles!.map(ONNXTensor.truncate)
        }
    }

    /// A float's integer part as Int64; NaN and values out of range become Int64.min, as C casts
    /// do on x86.
    static func truncate(_ value: Double) -> Int64 {
        guard value.isFinite, value > -9.223372036854775808e18, value < 9.223372036854775807e18 else { return .min }
        return Int64(value.rounded(.towardZero))
    }

    /// Rows and columns when the tensor is read as a matrix: [N, F] as is, [N] as N rows of one,
    /// a scalar as one row of one.
    var matrixShape: (rows: Int, columns: Int) {
        switch shape.count {
        case 0: (1, 1)
        case 1: (shape[0], 1)
        default: (shape[0], shape.dropFirst().reduce(1, *))
        }
    }

    /// The same elements converted to the ONNX type `to` (a `TensorProto.DataType` number).
    func cast(to type: Int) throws(SlipwayError) -> ONNXTensor {
        switch type {
        case 1:
            if case .string(let v) = elements { return ONNXTensor(shape: shape, .float(v.map { Float($0) ?? .nan })) }
            return ONNXTensor(shape: shape, .float(floats!))
        case 11:
            if case .string(let v) = elements { return ONNXTensor(shape: shape, .double(v.map { Double($0) ?? .nan })) }
            return ONNXTensor(shape: shape, .double(doubles!))
        case 2, 3, 4, 5, 6, 7, 12, 13:
            if case .string(let v) = elements { return ONNXTensor(shape: shape, .int64(v.map { Int64($0) ?? 0 })) }
            let wide = int64s!
            let narrowed: [Int64] = switch type {
            case 2: wide.map { Int64(UInt8(truncatingIfNeeded: $0)) }
            case 3: wide.map { Int64(Int8(truncatingIfNeeded: $0)) }
            case 4: wide.map { Int64(UInt16(truncatingIfNeeded: $0)) }
            case 5: wide.map { Int64(Int16(truncatingIfNeeded: $0)) }
            case 6: wide.map { Int64(Int32(truncatingIfNeeded: $0)) }
            case 12: wide.map { Int64(UInt32(truncatingIfNeeded: $0)) }
            default: wide
            }
            return ONNXTensor(shape: shape, .int64(narrowed))
        case 9:
            if case .string = elements { throw .invalidParameter("ONNX Cast from string to bool is not supported") }
            return ONNXTensor(shape: shape, .bool(doubles!.map { $0 != 0 }))
        case 8:
            switch elements {
            case .string: return self
            case .int64(let v): return ONNXTensor(shape: shape, .string(v.map(String.init)))
            case .bool(let v): return ONNXTensor(shape: shape, .string(v.map { $0 ? "1" : "0" }))
            default: return ONNXTensor(shape: shape, .string(doubles!.map { String($0) }))
            }
        default:
            throw .invalidParameter("ONNX element type \(type) is not supported (float, double, integers, string and bool are)")
        }
    }
}

extension ONNXTensor {
    /// A tensor stored in the model file (an initializer, a Constant, an attribute).
    /// - Throws: `INVALID_PARAMETER_VALUE` for external data, unsupported types, and data whose
    ///   length does not match the dims.
    init(proto: Onnx_TensorProto) throws(SlipwayError) {
        let name = proto.name.isEmpty ? "a tensor" : "tensor '\(proto.name)'"
        guard proto.dataLocation != .external else {
            throw .invalidParameter("ONNX \(name) keeps its data in an external file, which Slipway does not read; save the model with its data inside")
        }
        var count = 1
        for dim in proto.dims {
            guard dim >= 0, dim <= Int64(Self.maximumElements) else { throw .invalidParameter("ONNX \(name) has a dimension of \(dim)") }
            let (product, overflow) = count.multipliedReportingOverflow(by: Int(dim))
            guard !overflow, product <= Self.maximumElements else { throw .invalidParameter("ONNX \(name) has more than \(Self.maximumElements) elements") }
            count = product
        }
        let raw = proto.hasRawData ? [UInt8](proto.rawData) : nil
        func fromRaw<T>(_ width: Int, _ read: (UnsafeRawBufferPointer, Int) -> T) throws(SlipwayError) -> [T]? {
            guard let raw else { return nil }
            guard raw.count == count * width else { throw .invalidParameter("ONNX \(name) has \(raw.count) bytes of data for \(count) elements") }
            return raw.withUnsafeBytes { bytes in (0..<count).map { read(bytes, $0 * width) } }
        }
        let elements: Elements
        switch proto.dataType {
        case 1:
            elements = .float(try fromRaw(4) { Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: UInt32.self))) } ?? proto.floatData)
        case 11:
            elements = .double(try fromRaw(8) { Double(bitPattern: UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: UInt64.self))) } ?? proto.doubleData)
        case 7:
            elements = .int64(try fromRaw(8) { Int64(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: Int64.self)) } ?? proto.int64Data)
        case 6:
            elements = .int64(try fromRaw(4) { Int64(Int32(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: Int32.self))) } ?? proto.int32Data.map(Int64.init))
        case 2, 3, 4, 5, 9:
            let width = proto.dataType == 4 || proto.dataType == 5 ? 2 : 1
            let values: [Int64] = try fromRaw(width) { bytes, offset in
                switch proto.dataType {
                case 3: Int64(Int8(bitPattern: bytes[offset]))
                case 4: Int64(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
                case 5: Int64(Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int16.self)))
                default: Int64(bytes[offset])
                }
            } ?? proto.int32Data.map(Int64.init)
            elements = proto.dataType == 9 ? .bool(values.map { $0 != 0 }) : .int64(values)
        case 12, 13:
            elements = .int64(try fromRaw(proto.dataType == 12 ? 4 : 8) { bytes, offset in
                proto.dataType == 12 ? Int64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                    : Int64(truncatingIfNeeded: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            } ?? proto.uint64Data.map { Int64(truncatingIfNeeded: $0) })
        case 8:
            elements = .string(proto.stringData.map { String(decoding: $0, as: UTF8.self) })
        default:
            throw .invalidParameter("ONNX \(name) has element type \(proto.dataType), which Slipway does not read (float, double, integers, string and bool)")
        }
        self.init(shape: proto.dims.map { Int($0) }, elements)
        guard self.count == count else { throw .invalidParameter("ONNX \(name) has \(self.count) elements for dims \(proto.dims)") }
    }

    /// The most elements a tensor of the model file may have.
    static let maximumElements = 1 << 31
}
