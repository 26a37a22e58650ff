import Foundation
import Testing
@testable import CEAuthCore
import CEAuthSandbox

@Suite struct OAuthTests {
    func query(_ url: URL) -> [String: String] {
        let pairs = FormEncoding.parseQuery(Substring(url.query ?? "")) ?? []
        return Dictionary(pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    @Test func authorizationURLCarriesEverythingGoogleNeedsAndNoChallenge() throws {
        let template = try TemplateLibrary.builtIn.element("gmail")
        let request = AuthorizationRequest(
            endpoint: URL(string: template.authorization.endpoint)!, clientID: "cid.apps.googleusercontent.com",
            redirectURI: "http://127.0.0.1:53682/", scopes: template.authorization.scopes, state: "s-1_x",
            extraParameters: template.authorization.parameters, loginHint: "me+test@example.com")
        let url = request.url
        #expect(url.absoluteString.hasPrefix("https://accounts.google.com/o/oauth2/v2/auth?client_id="))
        let q = query(url)
        #expect(q == [
            "client_id": "cid.apps.googleusercontent.com", "redirect_uri": "http://127.0.0.1:53682/",
            "response_type": "code", "scope": "https://mail.google.com/ https://www.googleapis.com/auth/gmail.settings.basic",
            "state": "s-1_x", "access_type": "offline", "prompt": "consent", "login_hint": "me+test@example.com",
        ])
        // Spaces and '+' are percent-encoded, so no server can read '+' as a space.
        #expect(url.absoluteString.contains("scope=https%3A%2F%2Fmail.google.com%2F%20https"))
        #expect(url.absoluteString.contains("login_hint=me%2Btest%40example.com"))
    }

    @Test func templateParametersCannotSmuggleAChallengeOrOverrideCoreFields() {
        let request = AuthorizationRequest(
            endpoint: URL(string: "http://127.0.0.1:9/auth")!, clientID: "c", redirectURI: "http://127.0.0.1:1/",
            scopes: ["a"], state: "s",
            extraParameters: ["code_challenge": "x", "code_challenge_method": "S256", "state": "other", "access_type": "offline"])
        let q = query(request.url)
        #expect(q["code_challenge"] == nil && q["code_challenge_method"] == nil)
        #expect(q["state"] == "s")
        #expect(q["access_type"] == "offline")
    }

    @Test func stateIsRandomBase64URLAndOnlyItsDigestMatches() throws {
        let (a, verifier) = try StateVerifier.generate()
        let (b, _) = try StateVerifier.generate()
        #expect(a.count == 43)
        #expect(a != b)
        #expect(a.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(verifier.matches(a))
        #expect(!verifier.matches(b))
        #expect(!verifier.matches(String(a.dropLast())))
        #expect(!verifier.matches(""))
        #expect(!"\(verifier)".contains(a))
    }

    @Test func formDecodingHandlesEscapesAndRejectsBrokenOnes() {
        #expect(FormEncoding.decode("a%20b+c%2Bd") == "a b c+d")
        #expect(FormEncoding.decode("%E2%9C%93") == "✓")
        #expect(FormEncoding.decode("%") == nil)
        #expect(FormEncoding.decode("%G0") == nil)
        #expect(FormEncoding.decode("%FF") == nil)
        #expect(FormEncoding.encode("a b+/~") == "a%20b%2B%2F~")
    }
}

@Suite struct CallbackValidatorTests {
    let state = "Zm9vYmFyYmF6cXV4LXN0YXRlLXZhbHVlLTEyMzQ1Njc4"
    var validator: CallbackValidator {
        CallbackValidator(expectedPath: "/oauth/callback", verifier: try! StateVerifier(state: state),
                          issuer: "https://accounts.google.com")
    }

    func head(_ target: String, method: String = "GET") -> HTTPRequestHead {
        HTTPRequestHead(method: method, target: target, version: "HTTP/1.1", headers: [("Host", "127.0.0.1:8080")])
    }

    @Test func genuineRedirectYieldsTheCode() {
        let decision = validator.decide(head("/oauth/callback?state=\(state)&code=4%2F0AX-abc&scope=a+b&iss=https%3A%2F%2Faccounts.google.com&authuser=0&prompt=consent"))
        #expect(decision == .finish(.code("4/0AX-abc")))
    }

    @Test func errorWithTheRightStateEndsTheWait() {
        let decision = validator.decide(head("/oauth/callback?error=access_denied&state=\(state)"))
        #expect(decision == .finish(.failure(.denied(OAuthErrorResponse(code: "access_denied")))))
        if case .finish(.failure(let error)) = decision {
            #expect("\(error)".hasPrefix("consent was denied in the browser"))
        }
        let described = validator.decide(head("/oauth/callback?error=invalid_scope&error_description=Bad+scope&state=\(state)"))
        #expect(described == .finish(.failure(.denied(OAuthErrorResponse(code: "invalid_scope", description: "Bad scope")))))
    }

    @Test(arguments: [
        ("/oauth/callback?code=abc", 400),                         // missing state
        ("/oauth/callback?code=abc&state=wrong", 400),             // wrong state
        ("/oauth/callback?error=access_denied&state=wrong", 400),  // forged error
        ("/oauth/callback?state=STATE", 400),                      // neither code nor error
        ("/oauth/callback?state=STATE&code=", 400),                // empty code
        ("/oauth/callback?state=STATE&code=a&code=b", 400),        // repeated parameter
        ("/oauth/callback?state=STATE&state=STATE&code=a", 400),
        ("/oauth/callback?state=%ZZ&code=a", 400),                 // broken escape
        ("/oauth/callback", 400),                                  // no query
        ("/", 404),
        ("/favicon.ico", 404),
        ("/oauth/callback/extra?state=STATE&code=a", 404),
        ("http://evil.example/oauth/callback?state=STATE&code=a", 404),
    ])
    func everythingElseIsAnsweredAndWaitedPast(target: String, status: Int) {
        let decision = validator.decide(head(target.replacingOccurrences(of: "STATE", with: state)))
        guard case .reject(let got, _) = decision else {
            Issue.record("expected a rejection for \(target), got \(decision)")
            return
        }
        #expect(got == status)
    }

    @Test func onlyGETIsAccepted() {
        for method in ["POST", "HEAD", "PUT", "OPTIONS"] {
            guard case .reject(405, _) = validator.decide(head("/oauth/callback?state=\(state)&code=a", method: method)) else {
                Issue.record("\(method) was not refused with 405")
                continue
            }
        }
    }

    @Test func anotherIssuerIsAMixUp() {
        let decision = validator.decide(head("/oauth/callback?state=\(state)&code=a&iss=https%3A%2F%2Fevil.example"))
        #expect(decision == .finish(.failure(.issuerMismatch(expected: "https://accounts.google.com", received: "https://evil.example"))))
    }
}

@Suite struct RequestHeadParserTests {
    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test func parsesARequestHead() throws {
        let head = try #require(try HTTPRequestHeadParser.parse(bytes("GET /cb?code=1&state=2 HTTP/1.1\r\nHost: 127.0.0.1:9\r\nUser-Agent:  x y \r\n\r\n")))
        #expect(head.method == "GET")
        #expect(head.path == "/cb")
        #expect(head.query == "code=1&state=2")
        #expect(head.header("host") == "127.0.0.1:9")
        #expect(head.header("USER-AGENT") == "x y")
    }

    @Test func waitsForMoreBytesUntilTheBlankLine() throws {
        #expect(try HTTPRequestHeadParser.parse(bytes("GET / HTTP/1.1\r\nHost: a\r\n")) == nil)
        #expect(try HTTPRequestHeadParser.parse([]) == nil)
        #expect(try HTTPRequestHeadParser.parse(bytes("GE")) == nil)
        #expect(try HTTPRequestHeadParser.parse(bytes("GET /?code=x&state=y HTTP/1.1\r\nHost: 127.0.0.1:5")) == nil)
        #expect(try HTTPRequestHeadParser.parse(bytes("GET / HTTP/1.1\r\nUser-Agent: caf\u{e9}\t")) == nil)
    }

    /// Bytes that can never become a head are refused at once, so the connection is not held
    /// open until its deadline waiting for a blank line that would not help.
    @Test(arguments: ["Ge", "GET /a b c", "GET /\u{0}", "GET /caf\u{e9}", "POST\u{7f}", "GET / HTTP/1.1\r\nHost: \u{1}"])
    func partialHeadsThatCanNeverBeValidFailEarly(text: String) {
        #expect(throws: HTTPRequestHeadError.self) { try HTTPRequestHeadParser.parse(bytes(text)) }
    }

    @Test(arguments: [
        "\u{16}\u{03}\u{01}\u{02}\u{00}",          // a TLS ClientHello to a plain-HTTP port
        "GET /\r\n\r\n",                          // HTTP/0.9
        "GET / HTTP/2.0\r\n\r\n",
        "GET  / HTTP/1.1\r\n\r\n",
        "get / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
        "GET /a\u{7F} HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nX: a\u{01}b\r\n\r\n",
    ])
    func refusesWhatIsNotAnHTTPRequest(text: String) {
        #expect(throws: HTTPRequestHeadError.self) { try HTTPRequestHeadParser.parse(Array(text.utf8)) }
    }

    @Test func refusesNonUTF8() {
        #expect(throws: HTTPRequestHeadError.self) { try HTTPRequestHeadParser.parse([71, 69, 84, 32, 47, 0xFF, 32] + Array(" HTTP/1.1\r\n\r\n".utf8)) }
    }

    @Test func refusesOversizedHeads() {
        // A long target is 414, finished or not; long headers after a normal line are 431.
        let big = "GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\n\r\n"
        #expect(throws: HTTPRequestHeadError.requestLineTooLong) { try HTTPRequestHeadParser.parse(Array(big.utf8)) }
        let bigUnfinished = "GET /" + String(repeating: "a", count: 9000)
        #expect(throws: HTTPRequestHeadError.requestLineTooLong) { try HTTPRequestHeadParser.parse(Array(bigUnfinished.utf8)) }
        let unfinished = "GET / HTTP/1.1\r\nX: " + String(repeating: "b", count: 9000)
        #expect(throws: HTTPRequestHeadError.tooLarge) { try HTTPRequestHeadParser.parse(Array(unfinished.utf8)) }
        let headers = "GET / HTTP/1.1\r\n" + String(repeating: "X-Pad: 0123456789abcdef\r\n", count: 400) + "\r\n"
        #expect(throws: HTTPRequestHeadError.tooLarge) { try HTTPRequestHeadParser.parse(Array(headers.utf8)) }
    }
}
