// The one file that imports OpenSSL: everything else sees only Swift types.
internal import COpenSSL
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Failures of the OpenSSL primitives; they mean the system's crypto library is broken.
public enum CryptoError: Error, Equatable, CustomStringConvertible {
    case randomFailed
    case digestFailed

    public var description: String {
        switch self {
        case .randomFailed:
            return "OpenSSL could not produce random bytes (RAND_bytes failed); check the system's OpenSSL installation"
        case .digestFailed:
            return "OpenSSL could not compute a SHA-256 digest (EVP_Digest failed); check the system's OpenSSL installation"
        }
    }
}

/// Small wrappers over libcrypto that turn its `1 == success` convention into Swift errors.
public enum Crypto {
    /// Cryptographically secure random bytes from OpenSSL's CSPRNG.
    public static func randomBytes(count: Int) throws(CryptoError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let ok = bytes.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        guard ok == 1 else { throw .randomFailed }
        return bytes
    }

    /// SHA-256 of `data` through the EVP interface (the low-level SHA256() is deprecated in OpenSSL 3).
    public static func sha256(_ data: some Collection<UInt8>) throws(CryptoError) -> [UInt8] {
        let input = Array(data)
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = input.withUnsafeBytes { inputBuffer in
            digest.withUnsafeMutableBufferPointer { out in
                EVP_Digest(inputBuffer.baseAddress, inputBuffer.count, out.baseAddress, &length, EVP_sha256(), nil)
            }
        }
        guard ok == 1, length == 32 else { throw .digestFailed }
        return digest
    }

    /// Compares two byte strings in time that depends only on their length (CRYPTO_memcmp),
    /// so a wrong guess of a secret value leaks nothing through timing.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, a.count) == 0 }
        }
    }
}

extension Array where Element == UInt8 {
    /// base64url without padding (RFC 4648 section 5), as OAuth uses for state and PKCE.
    public var base64URLEncoded: String {
        Data(self).base64EncodedString()
            .replacing("+", with: "-")
            .replacing("/", with: "_")
            .replacing("=", with: "")
    }
}
