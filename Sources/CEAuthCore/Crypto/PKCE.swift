/// PKCE (RFC 7636), for `login --exchange local`, where ceauth redeems the authorization code
/// itself. Never with the default exchange: Cloud Elements redeems the code server to server and
/// cannot send a `code_verifier`, and Google refuses to redeem a code issued with a
/// `code_challenge` without one ("Missing code verifier.").
public enum PKCE {
    /// "code_verifier = high-entropy cryptographic random STRING using the unreserved characters
    /// ... with a minimum length of 43 characters and a maximum length of 128" (RFC 7636 4.1).
    /// 32 random bytes give 43 base64url characters.
    public static func generateVerifier() throws(CryptoError) -> String {
        try Crypto.randomBytes(count: 32).base64URLEncoded
    }

    /// "code_challenge = BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))" (RFC 7636 4.2).
    public static func s256Challenge(verifier: String) throws(CryptoError) -> String {
        try Crypto.sha256(Array(verifier.utf8)).base64URLEncoded
    }
}
