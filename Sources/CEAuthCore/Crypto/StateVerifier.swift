/// The OAuth `state` value: random, sent once in the authorization URL, then forgotten.
/// Only its SHA-256 digest is kept to check the redirect, so the value itself does not linger
/// in memory and a comparison cannot leak it through timing.
public struct StateVerifier: Sendable {
    private let digest: [UInt8]

    /// Makes a fresh state of 32 random bytes, base64url-encoded (43 characters).
    public static func generate() throws(CryptoError) -> (state: String, verifier: StateVerifier) {
        let state = try Crypto.randomBytes(count: 32).base64URLEncoded
        return (state, try StateVerifier(state: state))
    }

    public init(state: String) throws(CryptoError) {
        digest = try Crypto.sha256(Array(state.utf8))
    }

    /// True when `candidate` is the state this verifier was made from.
    public func matches(_ candidate: String) -> Bool {
        guard let candidateDigest = try? Crypto.sha256(Array(candidate.utf8)) else { return false }
        return Crypto.constantTimeEqual(digest, candidateDigest)
    }
}

extension StateVerifier: CustomStringConvertible {
    public var description: String { "StateVerifier(<redacted>)" }
}
