import Testing
@testable import CEAuthCore
import CEAuthSandbox

@Suite struct CryptoTests {
    @Test func pkceMatchesRFC7636AppendixB() throws {
        #expect(try PKCE.s256Challenge(verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    }

    @Test func sha256KnownVector() throws {
        // FIPS 180-2 "abc".
        let digest = try Crypto.sha256(Array("abc".utf8))
        #expect(digest.map { String(format: "%02x", $0) }.joined() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func randomBytesDiffer() throws {
        let a = try Crypto.randomBytes(count: 32)
        let b = try Crypto.randomBytes(count: 32)
        #expect(a.count == 32 && a != b)
    }

    @Test func constantTimeCompare() {
        #expect(Crypto.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!Crypto.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!Crypto.constantTimeEqual([1, 2], [1, 2, 3]))
    }

    @Test func pkceVerifierShape() throws {
        let verifier = try PKCE.generateVerifier()
        #expect(verifier.count == 43)
        #expect(try PKCE.s256Challenge(verifier: verifier).count == 43)
    }
}
