import Foundation
import Testing
@testable import CEAuthCore
import CEAuthSandbox

@Suite struct CloudElementsTests {
    let credentials = CloudElementsCredentials(userSecret: Secret("u-secret"), organizationSecret: Secret("o-secret"))

    @Test func createRequestHasTheHeadersAndBody() throws {
        let body = JSONValue.object(["name": .string("n")])
        let request = CloudElementsAPI.createInstanceRequest(
            baseURL: URL(string: "https://api.cloud-elements.com/elements/api-v2")!, credentials: credentials,
            body: body, timeoutSeconds: 42)
        #expect(request.method == "POST")
        #expect(request.url.absoluteString == "https://api.cloud-elements.com/elements/api-v2/instances")
        #expect(request.headers["Authorization"] == "User u-secret, Organization o-secret")
        #expect(request.headers["Content-Type"] == "application/json")
        #expect(request.timeoutSeconds == 42)
        #expect(try JSONValue.parse(request.body ?? Data()) == body)
    }

    @Test func parsesACreatedInstance() throws {
        let text = #"{"id": 481234, "name": "n", "token": "tok=", "element": {"id": 1, "key": "gmail"}, "valid": true, "tags": [{"id": 1, "name": "x"}], "configuration": {"oauth.api.secret": "s"}}"#
        let instance = try CloudElementsAPI.parseCreatedInstance(HTTPResponse(status: 200, body: Data(text.utf8)), expectedElement: "gmail")
        #expect(instance == CreatedInstance(id: 481234, name: "n", token: Secret("tok="), elementKey: "gmail"))
        let stringID = #"{"id": "77", "token": "t"}"#
        #expect(try CloudElementsAPI.parseCreatedInstance(HTTPResponse(status: 201, body: Data(stringID.utf8)), expectedElement: "g").id == 77)
    }

    @Test(arguments: [#"{"name": "n"}"#, #"{"id": 1}"#, #"{"id": 1, "token": ""}"#, #"{"id": "x", "token": "t"}"#, "[]", "<html>", ""])
    func successWithoutIDOrTokenIsUnexpected(text: String) {
        #expect(throws: CloudElementsError.self) {
            try CloudElementsAPI.parseCreatedInstance(HTTPResponse(status: 200, body: Data(text.utf8)), expectedElement: "gmail")
        }
    }

    @Test func errorsKeepMessageProviderMessageAndRequestID() {
        let json = #"{"requestId": "abc123", "message": "Invalid Organization or User secret", "providerMessage": "p"}"#
        let error = CloudElementsAPI.parseError(HTTPResponse(status: 401, body: Data(json.utf8)))
        #expect(error == .refused(status: 401, message: "Invalid Organization or User secret", providerMessage: "p", requestID: "abc123"))
        let text = "\(error)"
        #expect(text.contains("HTTP 401") && text.contains("abc123") && text.contains("CEAUTH_USER_SECRET"))

        let notJSON = CloudElementsAPI.parseError(HTTPResponse(status: 502, headers: ["content-type": "text/html"],
                                                                body: Data("<html>Bad gateway</html>".utf8)))
        #expect(notJSON == .refused(status: 502, message: "the answer had a body that is not JSON (text/html, 24 bytes)",
                                    providerMessage: nil, requestID: nil))
        #expect("\(notJSON)".contains("HTTP 502"))
        // The raw body is never shown: it may echo secrets.
        #expect(!"\(notJSON)".contains("<html>"))
    }

    @Test func hintsSayWhatToCheck() {
        let code = CloudElementsError.refused(status: 400, message: "Error retrieving token", providerMessage: "invalid_grant", requestID: nil)
        #expect("\(code)".contains("the authorization code was refused"))
        let notFound = CloudElementsError.refused(status: 404, message: nil, providerMessage: nil, requestID: nil)
        #expect("\(notFound)".contains("/elements/api-v2"))
    }

    @Test func realTransportReportsADownServer() throws {
        // A port bound but never listening: refused, and no test running alongside can take it.
        let down = try Socket.holding(host: "127.0.0.1", port: 0)
        defer { down.close() }
        let port = try down.localPort()
        let request = HTTPRequest(method: "POST", url: URL(string: "http://127.0.0.1:\(port)/instances")!,
                                  headers: [:], body: Data("{}".utf8), timeoutSeconds: 5)
        #expect {
            try CurlTransport().send(request)
        } throws: { error in
            // Nothing was sent, so nothing can have been created.
            (error as? TransportError)?.mayHaveArrived == false
        }
    }

    @Test(arguments: [false, true])
    func realTransportStopsReadingPastItsLimit(closeDelimited: Bool) throws {
        let big = Data(repeating: 0x7B, count: 3 * 1024 * 1024)
        let server = try EmulatorServer { _ in EmulatorResponse(status: 200, body: big, closeDelimited: closeDelimited) }
        defer { server.stop() }
        let request = HTTPRequest(method: "POST", url: URL(string: server.baseURL + "/instances")!,
                                  headers: [:], body: Data("{}".utf8), timeoutSeconds: 5)
        #expect(throws: TransportError.responseTooLarge(status: 200, limit: 64 * 1024)) {
            try CurlTransport(maxResponseBytes: 64 * 1024).send(request)
        }
        // At the limit exactly, the body is read whole.
        let exact = try CurlTransport(maxResponseBytes: big.count).send(request)
        #expect(exact.body == big)
    }

    @Test func aDroppedConnectionMayHaveBeenActedOn() throws {
        let server = try EmulatorServer { _ in EmulatorResponse(status: 0, dropConnection: true) }
        defer { server.stop() }
        let request = HTTPRequest(method: "POST", url: URL(string: server.baseURL + "/instances")!,
                                  headers: [:], body: Data("{}".utf8), timeoutSeconds: 5)
        #expect {
            try CurlTransport().send(request)
        } throws: { error in
            (error as? TransportError)?.mayHaveArrived == true
        }
    }

    @Test func serverTextIsMadeSafeForATerminal() {
        // One line per field; the escaping itself is SafeText's, where every line passes.
        #expect(CloudElementsAPI.oneLine("a\u{1b}[31mb\u{07}c\nd\r\ne\u{2028}f") == "a\u{1b}[31mb\u{07}c d  e f")
        #expect(TerminalText.sanitize(CloudElementsAPI.oneLine("a\u{1b}[31mb\u{07}c\nd\u{9b}e")) == "a\\x1b[31mb\\x07c d\\x9be")
        // A long message is kept whole until the output filter has redacted it.
        #expect(CloudElementsAPI.oneLine(String(repeating: "é", count: 5000)).count == 5000)
    }

    @Test func realTransportTimesOutOnAHungServer() throws {
        let server = try EmulatorServer { _ in nil }
        defer { server.stop() }
        let request = HTTPRequest(method: "POST", url: URL(string: server.baseURL + "/instances")!,
                                  headers: [:], body: Data("{}".utf8), timeoutSeconds: 1)
        let started = monotonicSeconds()
        #expect(throws: TransportError.self) { try CurlTransport().send(request) }
        #expect(monotonicSeconds() - started < 8)
    }

    @Test func realTransportReachesAnIPv6Literal() throws {
        let server = try EmulatorServer(host: "::1") { request in
            EmulatorResponse(status: 201, body: Data("\(request.method) \(request.path) \(request.headers["host"] ?? "")".utf8))
        }
        defer { server.stop() }
        let request = HTTPRequest(method: "POST", url: URL(string: server.baseURL + "/instances")!,
                                  headers: [:], body: Data("{}".utf8), timeoutSeconds: 5)
        let response = try CurlTransport().send(request)
        #expect(response.status == 201)
        #expect(String(decoding: response.body, as: UTF8.self) == "POST /instances [::1]:\(server.port)")
    }

    /// "Nothing was sent" (exit 5) only when no request byte left: an answer that is not HTTP
    /// came after the whole request was written, so the server may have acted on it.
    @Test(arguments: ["NOT HTTP AT ALL", "{\"id\": 1, \"token\": \"t\"}"])
    func anAnswerThatIsNotHTTPMayHaveBeenActedOn(answer: String) throws {
        let received = Locked<Int>(0)
        let server = try EmulatorServer { request in
            received.with { $0 = request.body.count }
            return EmulatorResponse(status: 0, raw: Data(answer.utf8))
        }
        defer { server.stop() }
        let request = HTTPRequest(method: "POST", url: URL(string: server.baseURL + "/instances")!,
                                  headers: [:], body: Data("{\"x\":1}".utf8), timeoutSeconds: 5)
        #expect {
            try CurlTransport().send(request)
        } throws: { error in
            guard case .notHTTP? = error as? TransportError else { return false }
            return (error as? TransportError)?.mayHaveArrived == true
        }
        #expect(received.current == 7)
    }

    @Test func realTransportDoesNotFollowRedirects() throws {
        let hits = Locked(0)
        let server = try EmulatorServer { request in
            hits.with { $0 += 1 }
            return EmulatorResponse(status: 307, headers: [("Location", "/elsewhere")])
        }
        defer { server.stop() }
        let request = HTTPRequest(method: "POST", url: URL(string: server.baseURL + "/instances")!,
                                  headers: [:], body: Data("{}".utf8), timeoutSeconds: 5)
        let response = try CurlTransport().send(request)
        #expect(response.status == 307)
        #expect(hits.current == 1)
    }

    @Test(arguments: [
        ("https://api.cloud-elements.com/elements/api-v2", true),
        ("http://127.0.0.1:8080/elements/api-v2", true),
        ("http://localhost:1/x", true),
        ("http://[::1]:1/x", true),
        ("http://127.0.0.1:0/x", false),
        ("http://127.0.0.1:65536/x", false),
        ("http://api.cloud-elements.com/elements/api-v2", false),
        ("http://127.0.0.1.evil.example/x", false),
        ("ftp://api.cloud-elements.com/", false),
        ("https://user:pw@api.cloud-elements.com/", false),
        ("api.cloud-elements.com", false),
    ])
    func plainHTTPOnlyToLoopback(url: String, accepted: Bool) {
        #expect(((try? ServiceURL.validate(url, what: "--base-url")) != nil) == accepted)
    }
}

@Suite struct SecretTests {
    @Test func secretsNeverPrint() {
        let secret = Secret("hunter2")
        let credentials = CloudElementsCredentials(userSecret: secret, organizationSecret: Secret("swordfish"))
        for text in ["\(secret)", String(describing: secret), String(reflecting: secret), "\(credentials)", String(reflecting: credentials)] {
            #expect(!text.contains("hunter2") && !text.contains("swordfish"), "leaked in: \(text)")
        }
        var dumped = ""
        dump(credentials, to: &dumped)
        #expect(!dumped.contains("hunter2"))
    }
}

@Suite struct RedactorTests {
    @Test func secretsInAnyTextAreReplaced() {
        let redactor = Redactor(environment: SandboxSecrets.environment)
        let text = "org \(SandboxSecrets.org), user \(SandboxSecrets.user), client \(SandboxSecrets.clientSecret), id \(SandboxSecrets.clientID)"
        let redacted = redactor.redact(text)
        for secret in SandboxSecrets.all { #expect(!redacted.contains(secret)) }
        // The client id is not a secret and stays readable.
        #expect(redacted.contains(SandboxSecrets.clientID))
        #expect(redacted.components(separatedBy: "<redacted>").count == 4)
        // A combining mark after a secret makes another character; the secret is still found.
        #expect(redactor.redact("x \(SandboxSecrets.org)\u{301} y") == "x <redacted>\u{301} y")
        #expect(redactor.redact("\u{301}\(SandboxSecrets.user)\u{20DD}") == "\u{301}<redacted>\u{20DD}")
        // A value too short to be a real secret would blank out ordinary words.
        #expect(Redactor(["a", "ab"]).redact("a cab") == "a cab")
    }
}

/// libcurl's proxy variables, as users behind corporate proxies set them: honoured, with
/// `no_proxy`, and never for loopback.
@Suite struct ProxyTests {
    /// A proxy on raw sockets: records the first request line of each connection and answers 200.
    final class RecordingProxy: @unchecked Sendable {
        let socket: Socket
        let port: UInt16
        let lines = Locked<[String]>([])

        init() throws {
            socket = try Socket.listen(host: "127.0.0.1", port: 0)
            port = try socket.localPort()
            let (socket, lines) = (SocketBox(socket), lines)
            Thread {
                let until = monotonicSeconds() + 10
                while monotonicSeconds() < until {
                    guard let client = try? socket.socket.accept() else { usleep(5_000); continue }
                    try? client.setReceiveTimeout(seconds: 5)
                    var head: [UInt8] = []
                    while HTTPRequestHeadParser.headEnd(head) == nil, case .data(let bytes)? = try? client.receive(blocking: true) { head += bytes }
                    lines.with { $0.append(String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")[0]) }
                    try? client.sendAll(Array("HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\nproxied".utf8))
                    client.close()
                }
            }.start()
        }

        var url: String { "http://127.0.0.1:\(port)" }
    }

    func post(_ url: String, _ environment: [String: String]) throws(TransportError) -> HTTPResponse {
        try CurlTransport(environment: environment).send(HTTPRequest(method: "POST", url: URL(string: url)!, headers: [:],
                                                                     body: Data("{}".utf8), timeoutSeconds: 5))
    }

    @Test func httpProxyAndNoProxyAreHonoured() throws {
        let proxy = try RecordingProxy()
        let response = try post("http://api.cloud-elements.invalid/elements/api-v2/instances", ["http_proxy": proxy.url])
        #expect(String(decoding: response.body, as: UTF8.self) == "proxied")
        #expect(proxy.lines.current == ["POST http://api.cloud-elements.invalid/elements/api-v2/instances HTTP/1.1"])
        // no_proxy: straight to the host, which does not resolve: nothing was sent (exit 5).
        #expect {
            try post("http://api.cloud-elements.invalid/x", ["http_proxy": proxy.url, "no_proxy": "cloud-elements.invalid"])
        } throws: { ($0 as? TransportError)?.mayHaveArrived == false }
        #expect(proxy.lines.current.count == 1)
    }

    @Test func httpsGoesThroughTheHTTPSProxyWithCONNECT() throws {
        let proxy = try RecordingProxy()
        // The recording proxy answers CONNECT with a response that is no tunnel, so the request fails.
        #expect(throws: TransportError.self) { try post("https://api.cloud-elements.invalid/instances", ["HTTPS_PROXY": proxy.url]) }
        #expect(proxy.lines.current.first == "CONNECT api.cloud-elements.invalid:443 HTTP/1.1")
    }

    @Test func loopbackIsNeverProxied() throws {
        let proxy = try RecordingProxy()
        let server = try EmulatorServer { _ in EmulatorResponse(status: 200, body: Data("direct".utf8)) }
        defer { server.stop() }
        let response = try post(server.baseURL + "/instances", ["http_proxy": proxy.url, "all_proxy": proxy.url])
        #expect(String(decoding: response.body, as: UTF8.self) == "direct")
        #expect(proxy.lines.current.isEmpty)
        #expect(CurlTransport.noProxy(environment: ["NO_PROXY": "corp.example"]) == "corp.example,localhost,127.0.0.0/8,::1")
        #expect(CurlTransport.proxy(scheme: "http", environment: ["HTTP_PROXY": "http://cgi-set"]) == "")
    }
}

/// TLS is always verified: a server whose certificate the system does not trust is refused
/// during the handshake, before a request byte is sent (so it is "nothing was sent", exit 5).
@Suite struct TLSVerificationTests {
    @Test func aSelfSignedServerIsRefusedBeforeAnythingIsSent() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") else {
            print("skipped: no openssl command to run a TLS server")
            return
        }
        let directory = TemporaryDirectory()
        let key = directory.path + "/key.pem", certificate = directory.path + "/cert.pem"
        let make = Process()
        make.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        make.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "1",
                          "-keyout", key, "-out", certificate]
        make.standardOutput = FileHandle.nullDevice
        make.standardError = FileHandle.nullDevice
        try make.run()
        make.waitUntilExit()
        let probe = try Socket.listen(host: "127.0.0.1", port: 0)
        let port = try probe.localPort()
        probe.close()
        // Started without a shell, its standard streams on /dev/null (it reads commands from stdin).
        let pid = try #require(OS.spawn("/usr/bin/openssl", arguments: [
            "s_server", "-accept", "127.0.0.1:\(port)", "-cert", certificate, "-key", key, "-www", "-quiet",
        ], environment: ["PATH": "/usr/bin:/bin"]))
        defer {
            kill(pid, SIGKILL)
            _ = OS.state(of: pid)
        }
        let until = monotonicSeconds() + 10
        while (try? Socket.connect(host: "127.0.0.1", port: port)) == nil && monotonicSeconds() < until { usleep(20_000) }

        let request = HTTPRequest(method: "POST", url: URL(string: "https://localhost:\(port)/elements/api-v2/instances")!,
                                  headers: ["Authorization": "User u, Organization o"], body: Data("{}".utf8), timeoutSeconds: 5)
        #expect {
            try CurlTransport(environment: [:]).send(request)
        } throws: { error in
            // Refused in the handshake, with no request byte counted: "nothing was sent".
            guard case .cannotConnect(_, let reason)? = error as? TransportError else { return false }
            return reason.contains("certificate")
        }
    }
}
