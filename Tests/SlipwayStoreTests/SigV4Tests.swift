import Foundation
@testable import SlipwayStore
import Testing

/// Golden values from botocore 1.44.8's `S3SigV4Auth` (the signer of boto3 and the AWS CLI), for
/// the same requests at 2026-12-04T12:36:00Z.
@Suite("AWS Signature V4, against botocore")
struct SigV4Tests {
    let time = Date(timeIntervalSince1970: 1_796_387_760)  // 2026-12-04T12:36:00Z
    let credentials = SigV4.Credentials(accessKey: "AKIDEXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")

    func authorization(_ signed: [(String, String)]) -> String? {
        signed.first { $0.0 == "Authorization" }?.1
    }

    @Test("A ranged GET of a key, virtual-host style")
    func get() {
        let signed = SigV4(credentials: credentials, region: "us-east-1").sign(
            method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/test.txt", query: [], headers: [("Range", "bytes=0-9")],
            payloadHash: SigV4.emptyPayload, time: time)
        #expect(signed.first { $0.0 == "x-amz-date" }?.1 == "20261204T123600Z")
        #expect(authorization(signed) == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261204/us-east-1/s3/aws4_request, "
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=3ec8d55bc33e6325bca42455d8d2c498cc19edca1f57d12a35857565be9167f1")
    }

    @Test("A multipart part PUT, path style on a port, with an encoded key and query")
    func put() {
        // The body is "hello world"; its SHA-256:
        let signed = SigV4(credentials: credentials, region: "eu-west-3").sign(
            method: "PUT", host: "127.0.0.1:9000", path: "/bucket/" + SigV4.encode("models/a b/model.ubj", path: true),
            query: [("uploadId", SigV4.encode("x+y")), ("partNumber", "2")], headers: [("Content-Type", "application/octet-stream")],
            payloadHash: "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9", time: time)
        #expect(authorization(signed) == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261204/eu-west-3/s3/aws4_request, "
            + "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, Signature=4c52fe1cb9b66ef0ae4b98f68c4921d527a89339f4de5bb7ec74ad6c94fe6266")
    }

    @Test("A listing with temporary credentials")
    func list() {
        var temporary = credentials
        temporary.sessionToken = "SESSIONTOKEN"
        let signed = SigV4(credentials: temporary, region: "eu-west-3").sign(
            method: "GET", host: "bucket.s3.eu-west-3.amazonaws.com", path: "/",
            query: [("list-type", "2"), ("prefix", SigV4.encode("runs/1/")), ("continuation-token", SigV4.encode("a/b"))], headers: [],
            payloadHash: SigV4.emptyPayload, time: time)
        #expect(signed.first { $0.0 == "x-amz-security-token" }?.1 == "SESSIONTOKEN")
        #expect(authorization(signed) == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261204/eu-west-3/s3/aws4_request, "
            + "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=670aa0289043fec4424655956c5edc8d30348d4b724a4017c53b21c06d808855")
    }

    @Test("A presigned part upload URL, as MLflow's multipart upload hands out")
    func presigned() {
        let query = SigV4(credentials: credentials, region: "eu-west-3").presignedQuery(
            method: "PUT", host: "127.0.0.1:9000", path: "/bucket/" + SigV4.encode("models/a b/model.ubj", path: true),
            query: [("partNumber", "3"), ("uploadId", SigV4.encode("x+y"))], expires: 3600, time: time)
        #expect(query.map { "\($0.0)=\($0.1)" }.joined(separator: "&") == "partNumber=3&uploadId=x%2By&X-Amz-Algorithm=AWS4-HMAC-SHA256"
            + "&X-Amz-Credential=AKIDEXAMPLE%2F20261204%2Feu-west-3%2Fs3%2Faws4_request&X-Amz-Date=20261204T123600Z&X-Amz-Expires=3600"
            + "&X-Amz-SignedHeaders=host&X-Amz-Signature=1c98c8430e68678e6ed9e6bcf8476579c01b76e640cab0bc82a63d833521c02e")
    }

    @Test("Encoding keeps RFC 3986's unreserved characters, and slashes in a path")
    func encoding() {
        #expect(SigV4.encode("a b+c/d~e_f.g-h") == "a%20b%2Bc%2Fd~e_f.g-h")
        #expect(SigV4.encode("runs/1/é", path: true) == "runs/1/%C3%A9")
    }
}
