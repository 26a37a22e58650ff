#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CEAuthCore

/// A request as a fake server sees it.
public struct EmulatorRequest: Sendable {
    public var method: String
    public var target: String
    public var headers: [String: String]
    public var body: Data

    public var path: String { String(target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]) }
    public var query: [String: String] {
        guard let q = target.split(separator: "?", maxSplits: 1).dropFirst().first,
              let pairs = FormEncoding.parseQuery(q) else { return [:] }
        return Dictionary(pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
    }
    public var form: [String: String] {
        guard let pairs = FormEncoding.parseQuery(Substring(String(decoding: body, as: UTF8.self))) else { return [:] }
        return Dictionary(pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
    }
}

public struct EmulatorResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)] = []
    public var body: Data = Data()
    /// Leave out Content-Length: the body ends when the connection closes (HTTP/1.1 allows it).
    public var closeDelimited = false
    /// Read the request, then close without a byte of answer.
    public var dropConnection = false
    /// Read the request, then answer these bytes as they are (no status line, no headers).
    public var raw: Data?

    public init(status: Int, headers: [(String, String)] = [], body: Data = Data(), closeDelimited: Bool = false,
                dropConnection: Bool = false, raw: Data? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.closeDelimited = closeDelimited
        self.dropConnection = dropConnection
        self.raw = raw
    }

    public static func json(_ status: Int, _ value: JSONValue) -> EmulatorResponse {
        EmulatorResponse(status: status, headers: [("Content-Type", "application/json")], body: value.encoded())
    }
}

/// A small threaded HTTP/1.1 server on loopback: the emulators' transport, in `ceauth sandbox`,
/// `--sandbox` and the tests. A thread per connection (a hung answer blocks only its own);
/// stops when told.
public final class EmulatorServer: @unchecked Sendable {
    public let port: UInt16
    private let listener: Socket
    private let handler: @Sendable (EmulatorRequest) -> EmulatorResponse?
    private let lock = OS.Lock()
    private var stopped = false
    private var loopEnded = false
    /// Set by `goDown`: the port stays bound, refusing connections, so no other server takes it.
    private var holdsPort = false
    /// Connections accepted so far: a client that keeps its connection alive opens fewer.
    public let connections = Locked(0)
    private var tombstone: Socket?

    public let host: String
    public var baseURL: String { host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)" }

    /// `handler` returning nil means: accept the request and never answer (a hung server).
    /// `port` 0 takes a free one.
    public init(host: String = "127.0.0.1", port: UInt16 = 0,
                handler: @escaping @Sendable (EmulatorRequest) -> EmulatorResponse?) throws {
        self.host = host
        listener = try Socket.listen(host: host, port: port)
        self.port = try listener.localPort()
        self.handler = handler
        guard OS.startThread({ [self] in acceptLoop() }) else {
            listener.close()
            throw SocketError("cannot start a thread for the server on port \(self.port)", code: OS.lastError)
        }
    }

    deinit { stop() }

    /// Stops accepting and waits (at most a second) until the listening socket is closed.
    public func stop() {
        lock.withLock { stopped = true }
        let until = monotonicSeconds() + 1
        while !lock.withLock({ loopEnded }) && monotonicSeconds() < until { OS.sleep(seconds: 0.005) }
    }

    /// Like `stop`, but a host that is down: connections are refused until the server is gone,
    /// and the port cannot meanwhile be taken by another server (a test running alongside).
    public func goDown() {
        lock.withLock { holdsPort = true }
        stop()
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func acceptLoop() {
        while !isStopped {
            if OS.waitReadable([listener.fd], timeoutMilliseconds: 50)?.first == true, let client = try? listener.accept() {
                connections.with { $0 += 1 }
                let handler = self.handler
                let box = SocketBox(client)
                let ownHost = ownHost
                if !OS.startThread({ EmulatorServer.serve(box.socket, ownHost: ownHost, handler) }) { client.close() }
            }
        }
        listener.close()
        // At once after the close, from this thread: the port is free for the least time.
        var hold: Socket?
        if lock.withLock({ holdsPort }) { hold = try? Socket.holding(host: host, port: port) }
        lock.withLock {
            tombstone = hold
            loopEnded = true
        }
    }

    /// The one `Host` this server answers to, e.g. `127.0.0.1:53682` or `[::1]:53682`: a web page
    /// that rebinds its own DNS name to loopback reaches the socket, but its requests carry its
    /// own name, and must not read the sandbox's tokens or delete its instances.
    var ownHost: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Answers requests on one connection, as HTTP/1.1 does: the connection stays open for the
    /// next request unless the client asks to close it (or an answer must end it).
    private static func serve(_ socket: Socket, ownHost: String, _ handler: @Sendable (EmulatorRequest) -> EmulatorResponse?) {
        try? socket.setReceiveTimeout(seconds: 10)
        var buffer: [UInt8] = []
        while true {
            var head: HTTPRequestHead?
            do { head = buffer.isEmpty ? nil : try HTTPRequestHeadParser.parse(buffer, limit: 64 * 1024) } catch { socket.close(); return }
            while head == nil {
                // An idle kept-alive connection ends here when the client closes it (or after 10 s).
                guard case .data(let bytes)? = try? socket.receive(blocking: true) else { socket.close(); return }
                buffer += bytes
                do { head = try HTTPRequestHeadParser.parse(buffer, limit: 64 * 1024) } catch { socket.close(); return }
            }
            guard let head else { return }
            let bodyStart = (HTTPRequestHeadParser.headEnd(buffer) ?? buffer.count - 2) + 2
            var rest = Array(buffer[bodyStart...])
            let length = Int(head.header("Content-Length") ?? "0") ?? 0
            while rest.count < length {
                guard case .data(let bytes)? = try? socket.receive(blocking: true) else { break }
                rest += bytes
            }
            let body = Array(rest.prefix(length))
            buffer = Array(rest.dropFirst(length))
            let hosts = head.headers.filter { $0.name.lowercased() == "host" }
            guard hosts.count == 1, hosts[0].value.lowercased() == ownHost else {
                let text = "This emulator answers only to Host \(ownHost).\n"
                try? socket.sendAll(Array(("HTTP/1.1 421 Misdirected Request\r\nContent-Type: text/plain\r\nContent-Length: \(text.utf8.count)\r\n"
                    + "Connection: close\r\n\r\n" + text).utf8))
                socket.shutdownWrite()
                socket.close()
                return
            }
            var headers: [String: String] = [:]
            for (name, value) in head.headers { headers[name.lowercased()] = value }
            let request = EmulatorRequest(method: head.method, target: head.target, headers: headers, body: Data(body))
            guard let response = handler(request) else {
                // Hung server: hold the connection until the client gives up.
                _ = try? socket.receive(blocking: true)
                socket.close()
                return
            }
            if response.dropConnection {
                socket.close()
                return
            }
            if let raw = response.raw {
                try? socket.sendAll(Array(raw))
                socket.shutdownWrite()
                socket.close()
                return
            }
            let keepAlive = !response.closeDelimited && headers["connection"]?.lowercased() != "close"
            var text = "HTTP/1.1 \(response.status) \(HTTPResponseBytes.reasonPhrase(response.status))\r\n"
            for (name, value) in response.headers { text += "\(name): \(value)\r\n" }
            if !response.closeDelimited { text += "Content-Length: \(response.body.count)\r\n" }
            text += keepAlive ? "\r\n" : "Connection: close\r\n\r\n"
            guard (try? socket.sendAll(Array(text.utf8) + Array(response.body))) != nil, keepAlive else {
                socket.shutdownWrite()
                socket.close()
                return
            }
        }
    }
}

public final class SocketBox: @unchecked Sendable {
    public let socket: Socket
    public init(_ socket: Socket) { self.socket = socket }
}

/// The parts of an HTTP response a test looks at.
public struct RawResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: String
}

/// A minimal HTTP client on raw sockets: the test's stand-in for a browser, so every
/// redirect is followed (or not) by the test itself.
public enum RawHTTP {
    public static func request(_ urlString: String, method: String = "GET", headers: [(String, String)] = [],
                        body: Data = Data(), timeout: Int = 20) throws -> RawResponse {
        guard let url = URL(string: urlString), let host = url.host, let port = url.port else {
            throw SocketError("bad URL \(urlString)", code: OS.Code.invalidArgument)
        }
        var target = url.path.isEmpty ? "/" : url.path
        if let query = url.query { target += "?" + query }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let hostHeader = bare.contains(":") ? "[\(bare)]:\(port)" : "\(bare):\(port)"
        var text = "\(method) \(target) HTTP/1.1\r\nHost: \(hostHeader)\r\nConnection: close\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { text += "Content-Length: \(body.count)\r\n" }
        text += "\r\n"
        // Resolve "localhost" as browsers commonly do (IPv4 first); brackets off IPv6 literals.
        let address = host == "localhost" ? "127.0.0.1" : bare
        return try send(Array(text.utf8) + Array(body), host: address, port: UInt16(port), timeout: timeout)
    }

    /// Sends raw bytes and reads the answer until the server closes.
    public static func send(_ bytes: [UInt8], host: String, port: UInt16, timeout: Int = 20) throws -> RawResponse {
        let socket = try Socket.connect(host: host, port: port)
        defer { socket.close() }
        try socket.setReceiveTimeout(seconds: timeout)
        try socket.sendAll(bytes)
        var received: [UInt8] = []
        while case .data(let chunk) = try socket.receive(maxBytes: 65536, blocking: true) { received += chunk }
        return parse(received)
    }

    public static func parse(_ bytes: [UInt8]) -> RawResponse {
        let text = String(decoding: bytes, as: UTF8.self)
        let split = text.firstRange(of: "\r\n\r\n")
        let head = split.map { text[..<$0.lowerBound] } ?? text[...]
        // "\r\n" is one Character in Swift: split on newlines, not on the two-byte string.
        let headLines = head.split(whereSeparator: \.isNewline)
        let status = Int(headLines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [String: String] = [:]
        for line in headLines.dropFirst() {
            if let colon = line.firstIndex(of: ":") {
                headers[line[..<colon].lowercased()] = String(line[line.index(after: colon)...]).trimmingWhitespace()
            }
        }
        return RawResponse(status: status, headers: headers, body: split.map { String(text[$0.upperBound...]) } ?? "")
    }
}
