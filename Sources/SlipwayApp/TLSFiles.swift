public import HummingbirdCore
import HummingbirdTLS
import NIOSSL
public import SlipwayCore

/// The certificate chain and private key `--tls-cert`/`--tls-key` name: PEM files, read once at
/// start. With them the server speaks HTTPS only (TLS 1.2 or later) on its port.
public struct TLSFiles: Sendable {
    /// PEM certificate chain: the server's certificate first, then any intermediates.
    public var certificatePath: String
    /// PEM private key matching the first certificate.
    public var keyPath: String

    public init(certificatePath: String, keyPath: String) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }

    /// Reads both files and builds the server's TLS configuration.
    /// - Throws: `INVALID_PARAMETER_VALUE` naming the file that cannot be read or parsed.
    func configuration() throws(SlipwayError) -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw .invalidParameter("Cannot read the TLS certificate '\(certificatePath)' (a PEM certificate chain is expected): \(error)")
        }
        guard !chain.isEmpty else { throw .invalidParameter("The TLS certificate file '\(certificatePath)' holds no PEM certificate") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw .invalidParameter("Cannot read the TLS private key '\(keyPath)' (a PEM private key is expected): \(error)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        // Building a context checks that the key belongs to the certificate, which the server would otherwise find only when it starts.
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw .invalidParameter("The TLS certificate '\(certificatePath)' and key '\(keyPath)' do not make a TLS server (does the key belong to the certificate?): \(error)")
        }
        return configuration
    }
}

extension AppConfiguration {
    /// The HTTP/1.1 server, wrapped in TLS when `tls` names a certificate and key.
    /// - Throws: `INVALID_PARAMETER_VALUE` when a file cannot be read or the key does not match.
    public func serverBuilder() throws(SlipwayError) -> HTTPServerBuilder {
        guard let tls else { return .http1() }
        let configuration = try tls.configuration()
        do {
            return try .tls(.http1(), tlsConfiguration: configuration)
        } catch {
            throw .invalidParameter("The TLS certificate '\(tls.certificatePath)' and key '\(tls.keyPath)' do not make a TLS server: \(error)")
        }
    }
}
