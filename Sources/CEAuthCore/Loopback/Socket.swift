/// A failed socket call, with the call's name and errno captured where it failed.
public struct SocketError: Error, Equatable, CustomStringConvertible {
    public var call: String
    public var code: Int32

    public init(_ call: String, code: Int32 = OS.lastError) {
        self.call = call
        self.code = code
    }

    public var description: String { "\(call) failed: \(OS.describe(code)) (errno \(code))" }
}

/// A thin owner of one POSIX socket descriptor: every C return code is checked where the
/// call is made (the calls themselves are in Platform/). Not thread-safe; one owner at a time.
public final class Socket {
    public private(set) var fd: Int32

    init(fd: Int32) {
        self.fd = fd
    }

    deinit {
        if fd >= 0 { OS.close(fd) }
    }

    /// A TCP socket listening on `host` (an IPv4 or IPv6 literal) and `port` (0: the kernel picks).
    public static func listen(host: String, port: UInt16, backlog: Int32 = 64) throws(SocketError) -> Socket {
        let ipv6 = host.contains(":")
        let socket = try Socket(fd: makeSocket(ipv6: ipv6))
        // Lets a fixed port be reused right after an earlier run (TIME_WAIT); it does not
        // allow two listeners on one port on Linux, so "port in use" is still detected.
        guard OS.enable(.reuseAddress, on: socket.fd) else { throw SocketError("setsockopt(SO_REUSEADDR)") }
        if ipv6 {
            guard OS.enable(.ipv6Only, on: socket.fd) else { throw SocketError("setsockopt(IPV6_V6ONLY)") }
        }
        guard OS.bind(socket.fd, host: host, port: port) else { throw SocketError("bind") }
        guard OS.listen(socket.fd, backlog: backlog) else { throw SocketError("listen") }
        try socket.setNonBlocking()
        return socket
    }

    /// A socket bound to `host`:`port` that never listens: connections to the port are refused,
    /// and, without SO_REUSEADDR, nothing else can bind it meanwhile. For a host that is down.
    public static func holding(host: String, port: UInt16) throws(SocketError) -> Socket {
        let socket = try Socket(fd: makeSocket(ipv6: host.contains(":")))
        if host.contains(":") {
            guard OS.enable(.ipv6Only, on: socket.fd) else { throw SocketError("setsockopt(IPV6_V6ONLY)") }
        }
        guard OS.bind(socket.fd, host: host, port: port) else { throw SocketError("bind") }
        return socket
    }

    /// A TCP connection to `host`:`port` (blocking), for tests and tools.
    public static func connect(host: String, port: UInt16) throws(SocketError) -> Socket {
        let socket = try Socket(fd: makeSocket(ipv6: host.contains(":")))
        guard OS.connect(socket.fd, host: host, port: port) else { throw SocketError("connect") }
        return socket
    }

    private static func makeSocket(ipv6: Bool) throws(SocketError) -> Int32 {
        let fd = OS.streamSocket(ipv6: ipv6)
        guard fd >= 0 else { throw SocketError("socket") }
        return fd
    }

    public func setNonBlocking() throws(SocketError) {
        guard OS.setNonBlocking(fd) else { throw SocketError("fcntl(O_NONBLOCK)") }
    }

    /// Bounds how long a blocking send may stall on a client that does not read.
    public func setSendTimeout(seconds: Int) throws(SocketError) {
        guard OS.setTimeout(fd, sending: true, seconds: seconds) else { throw SocketError("setsockopt(SO_SNDTIMEO)") }
    }

    /// Bounds how long a blocking receive may wait.
    public func setReceiveTimeout(seconds: Int) throws(SocketError) {
        guard OS.setTimeout(fd, sending: false, seconds: seconds) else { throw SocketError("setsockopt(SO_RCVTIMEO)") }
    }

    /// The port the socket is bound to (after binding port 0).
    public func localPort() throws(SocketError) -> UInt16 {
        guard let port = OS.localPort(fd) else { throw SocketError("getsockname") }
        return port
    }

    /// The next pending connection, or nil when none is waiting (non-blocking listener).
    public func accept() throws(SocketError) -> Socket? {
        let client = OS.accept(fd)
        if client < 0 {
            let code = OS.lastError
            if [OS.Code.tryAgain, OS.Code.wouldBlock, OS.Code.interrupted, OS.Code.connectionAborted].contains(code) { return nil }
            throw SocketError("accept", code: code)
        }
        return Socket(fd: client)
    }

    public enum ReceiveResult: Equatable {
        case data([UInt8])
        case wouldBlock
        case closed
    }

    /// Reads what is there, without blocking when `blocking` is false.
    public func receive(maxBytes: Int = 4096, blocking: Bool = false) throws(SocketError) -> ReceiveResult {
        var buffer = [UInt8](repeating: 0, count: maxBytes)
        let count = buffer.withUnsafeMutableBytes { OS.receive(fd, into: $0, blocking: blocking) }
        if count > 0 { return .data(Array(buffer[..<count])) }
        if count == 0 { return .closed }
        let code = OS.lastError
        if code == OS.Code.tryAgain || code == OS.Code.wouldBlock || code == OS.Code.interrupted { return .wouldBlock }
        if code == OS.Code.connectionReset { return .closed }
        throw SocketError("recv", code: code)
    }

    /// Writes all bytes (blocking; bounded by the send timeout). A peer that went away gives
    /// an error, not SIGPIPE.
    public func sendAll(_ bytes: [UInt8]) throws(SocketError) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { OS.send(fd, $0) }
            if sent < 0 {
                if OS.lastError == OS.Code.interrupted { continue }
                throw SocketError("send")
            }
            offset += sent
        }
    }

    /// Stops sending, so the peer reads end-of-stream after what was sent.
    public func shutdownWrite() {
        OS.shutdownWrite(fd)
    }

    public func close() {
        if fd >= 0 {
            OS.close(fd)
            fd = -1
        }
    }
}
