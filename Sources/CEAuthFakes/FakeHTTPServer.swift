import Foundation
import Glibc
import CEAuthCore

/// A request as a fake server sees it.
public struct FakeRequest: Sendable {
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

public struct FakeResponse: Sendable {
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

    public static func json(_ status: Int, _ value: JSONValue) -> FakeResponse {
        FakeResponse(status: status, headers: [("Content-Type", "application/json")], body: value.encoded())
    }
}

/// A small threaded HTTP/1.1 server on 127.0.0.1, standing in for Google or Cloud Elements.
/// Runs on its own threads (never the Swift concurrency pool) and stops when told.
public final class FakeHTTPServer: @unchecked Sendable {
    public let port: UInt16
    private let listener: Socket
    private let handler: @Sendable (FakeRequest) -> FakeResponse?
    private let lock = NSLock()
    private var stopped = false
    private var done = DispatchSemaphore(value: 0)

    public let host: String
    public var baseURL: String { host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)" }

    /// `handler` returning nil means: accept the request and never answer (a hung server).
    public init(host: String = "127.0.0.1", handler: @escaping @Sendable (FakeRequest) -> FakeResponse?) throws {
        self.host = host
        listener = try Socket.listen(host: host, port: 0)
        port = try listener.localPort()
        self.handler = handler
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit { stop() }

    public func stop() {
        lock.lock()
        let wasStopped = stopped
        stopped = true
        lock.unlock()
        if !wasStopped { done.wait() }
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    private func acceptLoop() {
        while !isStopped {
            var fds = [pollfd(fd: listener.fd, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 1, 50) > 0, let client = try? listener.accept() {
                let handler = self.handler
                let box = SocketBox(client)
                Thread { FakeHTTPServer.serve(box.socket, handler) }.start()
            }
        }
        listener.close()
        done.signal()
    }

    private static func serve(_ socket: Socket, _ handler: @Sendable (FakeRequest) -> FakeResponse?) {
        try? socket.setReceiveTimeout(seconds: 10)
        var buffer: [UInt8] = []
        var head: HTTPRequestHead?
        while head == nil {
            guard case .data(let bytes)? = try? socket.receive(blocking: true) else { socket.close(); return }
            buffer += bytes
            do { head = try HTTPRequestHeadParser.parse(buffer, limit: 64 * 1024) } catch { socket.close(); return }
        }
        guard let head else { return }
        let bodyStart = (HTTPRequestHeadParser.headEnd(buffer) ?? buffer.count - 2) + 2
        var body = Array(buffer[bodyStart...])
        let length = Int(head.header("Content-Length") ?? "0") ?? 0
        while body.count < length {
            guard case .data(let bytes)? = try? socket.receive(blocking: true) else { break }
            body += bytes
        }
        var headers: [String: String] = [:]
        for (name, value) in head.headers { headers[name.lowercased()] = value }
        let request = FakeRequest(method: head.method, target: head.target, headers: headers, body: Data(body))
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
        var text = "HTTP/1.1 \(response.status) \(HTTPResponseBytes.reasonPhrase(response.status))\r\n"
        for (name, value) in response.headers { text += "\(name): \(value)\r\n" }
        if !response.closeDelimited { text += "Content-Length: \(response.body.count)\r\n" }
        text += "Connection: close\r\n\r\n"
        try? socket.sendAll(Array(text.utf8) + Array(response.body))
        socket.shutdownWrite()
        socket.close()
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
            throw SocketError("bad URL \(urlString)", code: EINVAL)
        }
        var target = url.path.isEmpty ? "/" : url.path
        if let query = url.query { target += "?" + query }
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let hostHeader = bare.contains(":") ? "[\(bare)]:\(port)" : "\(bare):\(port)"
        var text = "\(method) \(target) HTTP/1.1\r\nHost: \(hostHeader)\r\nConnection: close\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { text += "Content-Length: \(body.count)\r\n" }
        text += "\r\n"
        // Resolve "localhost" as browsers commonly do (IPv4 first); brackets off IPv6 literals.
        let address = host == "localhost" ? "127.0.0.1" : host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
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
        let parts = text.components(separatedBy: "\r\n\r\n")
        let headLines = parts[0].components(separatedBy: "\r\n")
        let status = Int(headLines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [String: String] = [:]
        for line in headLines.dropFirst() {
            if let colon = line.firstIndex(of: ":") {
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return RawResponse(status: status, headers: headers, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
    }
}
