import SlipwayCore

/// The entries of a zip file held in memory, read through its central directory. Stored entries
/// only (skops writes `ZIP_STORED` unless asked otherwise, and MLflow never asks); every offset and
/// size is checked against the file, so a damaged archive is an error, never a crash.
struct ZipArchive {
    let bytes: [UInt8]
    /// Name -> (offset of the data, size).
    private(set) var entries: [String: (offset: Int, size: Int)] = [:]

    init(bytes: [UInt8], source: String) throws(SlipwayError) {
        self.bytes = bytes
        func fail(_ why: String) -> SlipwayError { .invalidParameter("'\(source)' is not a readable zip archive: \(why)") }
        // The end-of-central-directory record: the last signature within 22 + 65535 bytes of the end.
        guard bytes.count >= 22 else { throw fail("too short") }
        var end = -1
        var i = bytes.count - 22
        while i >= max(0, bytes.count - 22 - 65_535) {
            if u32(i) == 0x0605_4b50 { end = i; break }
            i -= 1
        }
        guard end >= 0 else { throw fail("no end of central directory") }
        let count = Int(u16(end + 10)), directorySize = Int(u32(end + 12)), directoryOffset = Int(u32(end + 16))
        guard directoryOffset + directorySize <= end else { throw fail("the central directory lies outside the file") }
        var at = directoryOffset
        for _ in 0..<count {
            guard at + 46 <= end, u32(at) == 0x0201_4b50 else { throw fail("a damaged central directory entry") }
            let method = u16(at + 10), size = Int(u32(at + 20)), stored = Int(u32(at + 24))
            let nameLength = Int(u16(at + 28)), extraLength = Int(u16(at + 30)), commentLength = Int(u16(at + 32))
            let local = Int(u32(at + 42))
            guard at + 46 + nameLength <= end else { throw fail("an entry name runs past the directory") }
            let name = String(decoding: bytes[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
            guard method == 0 else {
                throw .invalidParameter("'\(source)' holds '\(name)' compressed (zip method \(method)); Slipway reads stored (uncompressed) entries, which skops writes by default")
            }
            guard size == stored, size != 0xFFFF_FFFF else { throw fail("'\(name)' has inconsistent or zip64 sizes") }
            guard local + 30 <= bytes.count, u32(local) == 0x0403_4b50 else { throw fail("'\(name)' has no local header") }
            let data = local + 30 + Int(u16(local + 26)) + Int(u16(local + 28))
            guard data + size <= bytes.count else { throw fail("'\(name)' runs past the end of the file") }
            entries[name] = (data, size)
            at += 46 + nameLength + extraLength + commentLength
        }
    }

    /// An entry's bytes, or `nil` when the archive has no such entry.
    func entry(_ name: String) -> ArraySlice<UInt8>? {
        entries[name].map { bytes[$0.offset..<($0.offset + $0.size)] }
    }

    private func u16(_ i: Int) -> UInt16 { UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8 }
    private func u32(_ i: Int) -> UInt32 { UInt32(u16(i)) | UInt32(u16(i + 2)) << 16 }
}
