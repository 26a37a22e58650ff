import Testing
@testable import CEAuthCore

@Suite struct CryptoTests {
    @Test func pkceMatchesRFC7636AppendixB() throws {
        #expect(try PKCE.s256Challenge(verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    }
}
