import Foundation
import Testing
@testable import CEAuthCore
import CEAuthSandbox

/// The loopback listener on real sockets.
@Suite struct ListenerTests {
    let state = "c3RhdGUtZm9yLWxpc3RlbmVyLXRlc3RzLTAxMjM0NTY3ODk"

    func validator(path: String = "/") -> CallbackValidator {
        CallbackValidator(expectedPath: path, verifier: try! StateVerifier(state: state), issuer: "https://accounts.google.com")
    }

    /// Runs `client` on another thread while the listener waits on this one.
    func wait(_ listener: LoopbackListener, timeout: Double = 10, cancel: CancelSignal? = nil,
              client: @escaping @Sendable (UInt16) -> Void) -> Result<PendingRedirect, Error> {
        let port = listener.port
        Thread { client(port) }.start()
        return Result { try listener.waitForRedirect(validator: validator(), timeoutSeconds: timeout, cancel: cancel) }
    }

    @Test func bindsOnlyLoopbackOnAnEphemeralPort() throws {
        let listener = try LoopbackListener(redirect: .ephemeral)
        defer { listener.close() }
        #expect(listener.port > 0)
        #expect(listener.addresses == ["127.0.0.1"])
        #expect(listener.redirectURI == "http://127.0.0.1:\(listener.port)/")
    }

    @Test func aPortInUseIsAClearImmediateError() throws {
        let first = try LoopbackListener(redirect: .ephemeral)
        defer { first.close() }
        let redirect = try LoopbackRedirect.parse("http://127.0.0.1:\(first.port)/oauth/callback")
        #expect(throws: ListenerError.portInUse(host: "127.0.0.1", port: first.port)) {
            try LoopbackListener(redirect: redirect)
        }
        #expect("\(ListenerError.portInUse(host: "127.0.0.1", port: first.port))".contains("port \(first.port)"))
    }

    /// A request as a browser sends it to the listener, Host header included.
    static func get(_ target: String, port: UInt16, host: String? = nil, extra: String = "") -> [UInt8] {
        Array("GET \(target) HTTP/1.1\r\nHost: \(host ?? "127.0.0.1:\(port)")\r\n\(extra)\r\n".utf8)
    }

    @Test func junkIsAnsweredAndTheGenuineRedirectWins() throws {
        let listener = try LoopbackListener(redirect: .ephemeral)
        let answers = Locked<[Int]>([])
        let state = self.state
        let result = wait(listener) { port in
            // A client that connects and says nothing, one that closes at once, then junk.
            let idle = try? Socket.connect(host: "127.0.0.1", port: port)
            (try? Socket.connect(host: "127.0.0.1", port: port))?.close()
            let genuine = "/?code=x&state=\(state)"
            let requests: [[UInt8]] = [
                Self.get("/favicon.ico", port: port),
                Array("\u{16}\u{03}\u{01}garbage\r\n\r\n".utf8),
                Self.get("/?code=x&state=nope", port: port),
                Self.get("/?" + String(repeating: "a", count: 10_000), port: port),
                Self.get("/", port: port, extra: String(repeating: "X-Pad: 0123456789abcdef\r\n", count: 400)),
                Array("DELETE \(genuine) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n".utf8),
                // The right state, but not addressed to this listener: DNS rebinding, a name
                // the redirect URI does not use, another port, no Host, two Hosts.
                Self.get(genuine, port: port, host: "attacker.example:\(port)"),
                Self.get(genuine, port: port, host: "localhost:\(port)"),
                Self.get(genuine, port: port, host: "127.0.0.1:\(port &+ 1)"),
                Array("GET \(genuine) HTTP/1.0\r\n\r\n".utf8),
                Self.get(genuine, port: port, extra: "Host: 127.0.0.1:\(port)\r\n"),
                // The right state with a body: nothing is accepted after the head.
                Self.get(genuine, port: port, extra: "Content-Length: 5\r\n") + Array("hello".utf8),
                Self.get(genuine, port: port, extra: "Transfer-Encoding: chunked\r\n") + Array("0\r\n\r\n".utf8),
            ]
            for request in requests {
                if let answer = try? RawHTTP.send(request, host: "127.0.0.1", port: port) {
                    answers.with { $0.append(answer.status) }
                }
            }
            _ = try? RawHTTP.send(Self.get("/?code=the-code&state=\(state)", port: port), host: "127.0.0.1", port: port)
            idle?.close()
        }
        let pending = try result.get()
        #expect(pending.result == .code("the-code"))
        pending.respond(status: 200, html: "ok")
        #expect(answers.current == [404, 400, 400, 414, 431, 405, 421, 421, 421, 400, 400, 413, 400])
    }

    @Test func anIPv6ListenerChecksTheBracketedHost() throws {
        guard (try? Socket.listen(host: "::1", port: 0)) != nil else { return }  // no IPv6 loopback here
        let listener = try LoopbackListener(redirect: LoopbackRedirect(host: "::1", port: 0, path: "/"))
        let answers = Locked<[Int]>([])
        let state = self.state
        let result = wait(listener) { port in
            for host in ["127.0.0.1:\(port)", "::1:\(port)"] {
                if let answer = try? RawHTTP.send(Self.get("/?code=x&state=\(state)", port: port, host: host), host: "::1", port: port) {
                    answers.with { $0.append(answer.status) }
                }
            }
            _ = try? RawHTTP.send(Self.get("/?code=v6&state=\(state)", port: port, host: "[::1]:\(port)"), host: "::1", port: port)
        }
        let pending = try result.get()
        pending.respond(status: 200, html: "ok")
        #expect(pending.result == .code("v6"))
        #expect(answers.current == [421, 421])
    }

    /// As on a host without IPv4 loopback (an IPv6-only container): binding 127.0.0.1 fails.
    static let noIPv4: @Sendable (String, UInt16) throws(SocketError) -> Socket = { (host, port) throws(SocketError) in
        if host == "127.0.0.1" { throw SocketError("bind", code: EADDRNOTAVAIL) }
        return try Socket.listen(host: host, port: port)
    }

    @Test func withoutIPv4LoopbackTheDefaultRedirectMovesToIPv6() throws {
        guard (try? Socket.listen(host: "::1", port: 0)) != nil else { return }  // no IPv6 loopback here
        let listener = try LoopbackListener(redirect: .ephemeral, limits: .init(), bind: Self.noIPv4)
        #expect(listener.addresses == ["::1"])
        #expect(listener.redirectURI == "http://[::1]:\(listener.port)/")
        let state = self.state
        let result = wait(listener) { port in
            _ = try? RawHTTP.send(Self.get("/?code=moved&state=\(state)", port: port, host: "[::1]:\(port)"), host: "::1", port: port)
        }
        let pending = try result.get()
        pending.respond(status: 200, html: "ok")
        #expect(pending.result == .code("moved"))
    }

    @Test func aFixedRedirectURINeverMoves() throws {
        // Registered with Google as written: listening elsewhere would only end in a mismatch.
        let redirect = try LoopbackRedirect.parse("http://127.0.0.1:8089/cb")
        #expect(redirect.fallback == nil)
        #expect(throws: ListenerError.self) {
            try LoopbackListener(redirect: redirect, limits: .init(), bind: Self.noIPv4)
        }
    }

    @Test func idleConnectionsAtTheCapDoNotLockOutTheBrowser() throws {
        var limits = LoopbackListener.Limits()
        limits.maxConnections = 8
        limits.connectionDeadlineSeconds = 30
        let listener = try LoopbackListener(redirect: .ephemeral, limits: limits)
        let state = self.state
        let took = Locked<Double>(-1)
        let result = wait(listener, timeout: 20) { port in
            // Twice the cap, held open and silent; the genuine redirect comes after them all.
            var idle: [Socket] = []
            for _ in 0..<16 { if let socket = try? Socket.connect(host: "127.0.0.1", port: port) { idle.append(socket) } }
            usleep(200_000)
            let start = monotonicSeconds()
            let answer = try? RawHTTP.send(Self.get("/?code=late&state=\(state)", port: port), host: "127.0.0.1", port: port, timeout: 10)
            if answer != nil { took.with { $0 = monotonicSeconds() - start } }
            for socket in idle { socket.close() }
        }
        let pending = try result.get()
        #expect(pending.result == .code("late"))
        pending.respond(status: 200, html: "ok")
        let until = monotonicSeconds() + 5
        while took.current < 0 && monotonicSeconds() < until { usleep(10_000) }  // the client reads the answer
        // Well inside the 30 s per-connection deadline: the oldest idle connection made room.
        #expect(took.current >= 0 && took.current < 2)
    }

    @Test func aStalledClientDoesNotHoldUpTheRedirect() throws {
        var limits = LoopbackListener.Limits()
        limits.connectionDeadlineSeconds = 1
        let listener = try LoopbackListener(redirect: .ephemeral, limits: limits)
        let state = self.state
        let took = Locked<Double>(0)
        let result = wait(listener) { port in
            // Half a request, never finished (slowloris), then the genuine redirect at once.
            let stalled = try? Socket.connect(host: "127.0.0.1", port: port)
            try? stalled?.sendAll(Array("GET /?code=x HTTP/1.1\r\nHost: 127".utf8))
            let start = monotonicSeconds()
            _ = try? RawHTTP.send(Self.get("/?code=c&state=\(state)", port: port), host: "127.0.0.1", port: port)
            took.with { $0 = monotonicSeconds() - start }
            stalled?.close()
        }
        let pending = try result.get()
        pending.respond(status: 200, html: "ok")
        #expect(pending.result == .code("c"))
        // Served concurrently: the genuine redirect did not wait for the stalled client.
        #expect(took.current < 0.9)
    }

    @Test func cancelEndsTheWaitAndReleasesThePort() throws {
        let listener = try LoopbackListener(redirect: .ephemeral)
        let port = listener.port
        let cancel = CancelSignal()
        let started = monotonicSeconds()
        let result = wait(listener, timeout: 30, cancel: cancel) { _ in
            usleep(200_000)
            cancel.trigger()
        }
        guard case .failure(let error) = result else { Issue.record("expected an interruption"); return }
        #expect(error as? AuthorizationError == .interrupted)
        #expect(monotonicSeconds() - started < 5)
        // Released: nothing listens there any more, and it can be bound again.
        #expect(throws: SocketError.self) { try Socket.connect(host: "127.0.0.1", port: port) }
        let again = try LoopbackListener(redirect: LoopbackRedirect(host: "127.0.0.1", port: port, path: "/"))
        again.close()
    }

    @Test func onlyTheFirstGenuineRedirectCounts() throws {
        let listener = try LoopbackListener(redirect: .ephemeral)
        let port = listener.port
        let state = self.state
        let result = wait(listener) { port in
            _ = try? RawHTTP.send(Self.get("/?code=first&state=\(state)", port: port), host: "127.0.0.1", port: port)
        }
        let pending = try result.get()
        #expect(pending.result == .code("first"))
        // The listener has closed: a second redirect cannot reach it.
        #expect(throws: SocketError.self) { try Socket.connect(host: "127.0.0.1", port: port) }
        pending.respond(status: 200, html: "done")
    }

    @Test func localhostListensOnBothLoopbackAddressesWhereItCan() throws {
        let probe = try LoopbackListener(redirect: .ephemeral)
        let port = probe.port
        probe.close()
        let listener = try LoopbackListener(redirect: LoopbackRedirect.parse("http://localhost:\(port)/cb"))
        defer { listener.close() }
        #expect(listener.redirectURI == "http://localhost:\(port)/cb")
        #expect(listener.addresses.first == "127.0.0.1")
        let v6 = (try? Socket.listen(host: "::1", port: 0)) != nil
        #expect(listener.addresses.contains("::1") == v6)
    }

    /// Another process holds [::1]:PORT: a browser that resolves localhost to ::1 would hand
    /// it the code and the state. That is "port in use", never a quiet IPv4-only listener.
    @Test func localhostWithTheIPv6PortSquattedIsPortInUse() throws {
        // Tests running alongside take ephemeral ports on 127.0.0.1 too, so the squatter's port
        // may be busy there by chance: then the scenario is tried again on another port. A real
        // failure fails every attempt.
        var outcomes: [String] = []
        for _ in 0..<3 {
            guard let squatter = try? Socket.listen(host: "::1", port: 0) else { return }  // no IPv6 loopback here
            defer { squatter.close() }
            let port = try squatter.localPort()
            var refused: ListenerError?
            do throws(ListenerError) {
                try LoopbackListener(redirect: LoopbackRedirect.parse("http://localhost:\(port)/cb")).close()
            } catch {
                refused = error
            }
            // The IPv4 half bound on the way was let go at once.
            let released = (try? Socket.listen(host: "127.0.0.1", port: port)) != nil
            if refused == .portInUse(host: "::1", port: port) && released { return }
            outcomes.append("\(String(describing: refused)), IPv4 released: \(released)")
        }
        Issue.record("localhost with its IPv6 port squatted was not refused as port in use: \(outcomes)")
    }

    @Test func onlyAMissingAddressFamilyMayBeSkippedForLocalhost() throws {
        let probe = try LoopbackListener(redirect: .ephemeral)
        let port = probe.port
        probe.close()
        let redirect = try LoopbackRedirect.parse("http://localhost:\(port)/")
        func failingIPv6(_ code: Int32) -> @Sendable (String, UInt16) throws(SocketError) -> Socket {
            { (host, port) throws(SocketError) in
                if host == "::1" { throw SocketError("bind", code: code) }
                return try Socket.listen(host: host, port: port)
            }
        }
        for code in [EADDRNOTAVAIL, EAFNOSUPPORT] {
            let listener = try LoopbackListener(redirect: redirect, limits: .init(), bind: failingIPv6(code))
            #expect(listener.addresses == ["127.0.0.1"])
            listener.close()
        }
        #expect(throws: ListenerError.portInUse(host: "::1", port: port)) {
            try LoopbackListener(redirect: redirect, limits: .init(), bind: failingIPv6(EADDRINUSE))
        }
        #expect(throws: ListenerError.cannotListen(host: "::1", port: port, SocketError("bind", code: EACCES))) {
            try LoopbackListener(redirect: redirect, limits: .init(), bind: failingIPv6(EACCES))
        }
        // On a host with no IPv4 loopback, localhost is served on ::1 alone.
        if (try? Socket.listen(host: "::1", port: 0)) != nil {
            let listener = try LoopbackListener(redirect: redirect, limits: .init(), bind: Self.noIPv4)
            #expect(listener.addresses == ["::1"])
            listener.close()
        }
    }

    @Test(arguments: [
        ("http://127.0.0.1:8080/oauth/callback", "127.0.0.1", 8080, "/oauth/callback"),
        ("http://localhost:8080", "localhost", 8080, "/"),
        ("http://[::1]:9000/cb", "::1", 9000, "/cb"),
    ])
    func redirectURIsThatWork(text: String, host: String, port: Int, path: String) throws {
        let redirect = try LoopbackRedirect.parse(text)
        #expect(redirect == LoopbackRedirect(host: host, port: UInt16(port), path: path))
    }

    @Test(arguments: [
        "https://127.0.0.1:8080/", "http://example.com:8080/", "http://10.0.0.1:8080/", "http://127.0.0.1/",
        "http://127.0.0.1:0/", "http://127.0.0.1:8080/?x=1", "http://127.0.0.1:8080/#f", "http://u:p@127.0.0.1:8080/",
        "not a uri", "http://0.0.0.0:8080/",
    ])
    func redirectURIsThatAreRefused(text: String) {
        #expect(throws: ListenerError.self) { try LoopbackRedirect.parse(text) }
    }
}

/// The Host and body checks, without sockets.
@Suite struct RequestScreenTests {
    func head(_ headers: [(String, String)], method: String = "GET") -> HTTPRequestHead {
        HTTPRequestHead(method: method, target: "/?code=c&state=s", version: "HTTP/1.1", headers: headers.map { (name: $0.0, value: $0.1) })
    }

    @Test func onlyTheRedirectURIsOwnHostAndPortPass() {
        let v4 = RequestScreen(redirect: .ephemeral, port: 5000)
        #expect(v4.check(head([("Host", "127.0.0.1:5000")])) == nil)
        #expect(v4.check(head([("host", "127.0.0.1:5000")])) == nil)
        for bad in ["127.0.0.1", "127.0.0.1:5001", "localhost:5000", "[::1]:5000", "evil.example:5000", "127.0.0.1:5000.evil.example", ""] {
            #expect(v4.check(head([("Host", bad)]))?.status == 421, "\(bad)")
        }
        let v6 = RequestScreen(redirect: LoopbackRedirect(host: "::1", port: 0, path: "/"), port: 5000)
        #expect(v6.check(head([("Host", "[::1]:5000")])) == nil)
        #expect(v6.check(head([("Host", "127.0.0.1:5000")]))?.status == 421)
        let named = RequestScreen(redirect: LoopbackRedirect(host: "localhost", port: 5000, path: "/"), port: 5000)
        #expect(named.check(head([("Host", "LocalHost:5000")])) == nil)
        #expect(named.check(head([("Host", "127.0.0.1:5000")]))?.status == 421)
        // Port 80 is the default a browser leaves out.
        let eighty = RequestScreen(redirect: LoopbackRedirect(host: "127.0.0.1", port: 80, path: "/"), port: 80)
        #expect(eighty.check(head([("Host", "127.0.0.1")])) == nil)
    }

    @Test func missingOrRepeatedHostAndAnyBodyAreRefused() {
        let screen = RequestScreen(redirect: .ephemeral, port: 5000)
        let host = ("Host", "127.0.0.1:5000")
        #expect(screen.check(head([]))?.status == 400)
        #expect(screen.check(head([host, host]))?.status == 400)
        #expect(screen.check(head([host, ("Content-Length", "0")])) == nil)
        #expect(screen.check(head([host, ("Content-Length", "12")]))?.status == 413)
        #expect(screen.check(head([host, ("transfer-encoding", "chunked")]))?.status == 400)
        // The reason names what would pass, so a confused user can see the mismatch.
        #expect(screen.check(head([("Host", "x:1")]))?.reason.contains("127.0.0.1:5000") == true)
    }
}
