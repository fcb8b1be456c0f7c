import Hummingbird
import NIOCore
import SlipwayCore

/// A stored file as a response body: a local file through Hummingbird's file reader, bytes from
/// object storage written as they arrive (the client's pace sets the pace of the read).
enum ArtifactResponse {
    static func body(_ content: ArtifactContent, context: some RequestContext) async throws -> ResponseBody {
        switch content {
        case .file(let path):
            return try await FileIO().loadFile(path: path, context: context)
        case .stream(let size, let chunks):
            return ResponseBody(contentLength: size.map(Int.init)) { writer in
                for try await chunk in chunks {
                    try await writer.write(ByteBuffer(bytes: chunk))
                }
                try await writer.finish(nil)
            }
        }
    }
}
