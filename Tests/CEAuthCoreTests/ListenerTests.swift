import Foundation
import Glibc
import Testing
@testable import CEAuthCore

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

    @Test func junkIsAnsweredAndTheGenuineRedirectWins() throws {
        let listener = try LoopbackListener(redirect: .ephemeral)
        let answers = Locked<[Int]>([])
        let state = self.state
        let result = wait(listener) { port in
            // A client that connects and says nothing, one that closes at once, then junk.
            let idle = try? Socket.connect(host: "127.0.0.1", port: port)
            (try? Socket.connect(host: "127.0.0.1", port: port))?.close()
            let requests: [[UInt8]] = [
                Array("GET /favicon.ico HTTP/1.1\r\nHost: x\r\n\r\n".utf8),
                Array("\u{16}\u{03}\u{01}garbage\r\n\r\n".utf8),
                Array("GET /?code=x&state=nope HTTP/1.1\r\n\r\n".utf8),
                Array(("GET /?" + String(repeating: "a", count: 10_000) + " HTTP/1.1\r\n\r\n").utf8),
                Array("DELETE /?code=x&state=\(state) HTTP/1.1\r\n\r\n".utf8),
            ]
            for request in requests {
                if let answer = try? RawHTTP.send(request, host: "127.0.0.1", port: port) {
                    answers.with { $0.append(answer.status) }
                }
            }
            _ = try? RawHTTP.send(Array("GET /?code=the-code&state=\(state) HTTP/1.1\r\n\r\n".utf8), host: "127.0.0.1", port: port)
            idle?.close()
        }
        let pending = try result.get()
        #expect(pending.result == .code("the-code"))
        pending.respond(status: 200, html: "ok")
        #expect(answers.current == [404, 400, 400, 431, 405])
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
            _ = try? RawHTTP.send(Array("GET /?code=c&state=\(state) HTTP/1.1\r\n\r\n".utf8), host: "127.0.0.1", port: port)
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
            _ = try? RawHTTP.send(Array("GET /?code=first&state=\(state) HTTP/1.1\r\n\r\n".utf8), host: "127.0.0.1", port: port)
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
