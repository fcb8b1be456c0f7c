import ArgumentParser
import SlipwayApp

/// `--tls-cert` and `--tls-key`: serve HTTPS with a PEM certificate chain and its private key.
struct TLSOptions: ParsableArguments {
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain to serve HTTPS with (the server's certificate first).")
    var certificate: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.")
    var key: String?

    func validate() throws {
        switch (certificate, key) {
        case (nil, nil), (.some, .some): break
        case (.some, nil): throw ValidationError("--tls-cert needs --tls-key: the private key of the certificate")
        case (nil, .some): throw ValidationError("--tls-key needs --tls-cert: the certificate chain the key belongs to")
        }
    }

    /// The files, when both are given.
    var files: TLSFiles? {
        guard let certificate, let key else { return nil }
        return TLSFiles(certificatePath: certificate, keyPath: key)
    }
}
