import Glibc

/// A failed socket call, with the call's name and errno captured where it failed.
public struct SocketError: Error, Equatable, CustomStringConvertible {
    public var call: String
    public var code: Int32

    public init(_ call: String, code: Int32 = errno) {
        self.call = call
        self.code = code
    }

    public var description: String { "\(call) failed: \(String(cString: strerror(code))) (errno \(code))" }
}

/// A thin owner of one POSIX socket descriptor: every C return code is checked where the
/// call is made. Not thread-safe; one owner at a time.
public final class Socket {
    public private(set) var fd: Int32

    init(fd: Int32) {
        self.fd = fd
    }

    deinit {
        if fd >= 0 { _ = systemClose(fd) }
    }

    /// A TCP socket listening on `host` (an IPv4 or IPv6 literal) and `port` (0: the kernel picks).
    public static func listen(host: String, port: UInt16, backlog: Int32 = 64) throws(SocketError) -> Socket {
        let address = try SocketAddress(host: host, port: port)
        let socket = try Socket(fd: makeSocket(family: address.family))
        var yes: Int32 = 1
        // Lets a fixed port be reused right after an earlier run (TIME_WAIT); it does not
        // allow two listeners on one port on Linux, so "port in use" is still detected.
        guard setsockopt(socket.fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw SocketError("setsockopt(SO_REUSEADDR)")
        }
        if address.family == AF_INET6 {
            guard setsockopt(socket.fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &yes, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                throw SocketError("setsockopt(IPV6_V6ONLY)")
            }
        }
        let bound = address.withSockaddr { bind(socket.fd, $0, $1) }
        guard bound == 0 else { throw SocketError("bind") }
        guard Glibc.listen(socket.fd, backlog) == 0 else { throw SocketError("listen") }
        try socket.setNonBlocking()
        return socket
    }

    /// A TCP connection to `host`:`port` (blocking), for tests and tools.
    public static func connect(host: String, port: UInt16) throws(SocketError) -> Socket {
        let address = try SocketAddress(host: host, port: port)
        let socket = try Socket(fd: makeSocket(family: address.family))
        let result = address.withSockaddr { Glibc.connect(socket.fd, $0, $1) }
        guard result == 0 else { throw SocketError("connect") }
        return socket
    }

    private static func makeSocket(family: Int32) throws(SocketError) -> Int32 {
        let fd = Glibc.socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket") }
        // Not inherited by the browser process ceauth starts.
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return fd
    }

    public func setNonBlocking() throws(SocketError) {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else { throw SocketError("fcntl(O_NONBLOCK)") }
    }

    /// Bounds how long a blocking send may stall on a client that does not read.
    public func setSendTimeout(seconds: Int) throws(SocketError) {
        var tv = timeval(tv_sec: seconds, tv_usec: 0)
        guard setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
            throw SocketError("setsockopt(SO_SNDTIMEO)")
        }
    }

    /// Bounds how long a blocking receive may wait.
    public func setReceiveTimeout(seconds: Int) throws(SocketError) {
        var tv = timeval(tv_sec: seconds, tv_usec: 0)
        guard setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
            throw SocketError("setsockopt(SO_RCVTIMEO)")
        }
    }

    /// The port the socket is bound to (after binding port 0).
    public func localPort() throws(SocketError) -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { throw SocketError("getsockname") }
        if Int32(storage.ss_family) == AF_INET6 {
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
        }
        return withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
    }

    /// The next pending connection, or nil when none is waiting (non-blocking listener).
    public func accept() throws(SocketError) -> Socket? {
        let client = Glibc.accept(fd, nil, nil)
        if client < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED { return nil }
            throw SocketError("accept")
        }
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
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
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, maxBytes, blocking ? 0 : Int32(MSG_DONTWAIT)) }
        if count > 0 { return .data(Array(buffer[..<count])) }
        if count == 0 { return .closed }
        if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return .wouldBlock }
        if errno == ECONNRESET { return .closed }
        throw SocketError("recv")
    }

    /// Writes all bytes (blocking; bounded by the send timeout). MSG_NOSIGNAL: a peer that
    /// went away gives an error instead of killing the process with SIGPIPE.
    public func sendAll(_ bytes: [UInt8]) throws(SocketError) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR { continue }
                throw SocketError("send")
            }
            offset += sent
        }
    }

    /// Stops sending, so the peer reads end-of-stream after what was sent.
    public func shutdownWrite() {
        _ = shutdown(fd, Int32(SHUT_WR))
    }

    public func close() {
        if fd >= 0 {
            _ = systemClose(fd)
            fd = -1
        }
    }
}

private func systemClose(_ fd: Int32) -> Int32 {
    Glibc.close(fd)
}

/// An IPv4 or IPv6 socket address from a numeric host.
struct SocketAddress {
    private var storage = sockaddr_storage()
    private(set) var family: Int32
    private var length: socklen_t

    init(host: String, port: UInt16) throws(SocketError) {
        if host.contains(":") {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, host, &address.sin6_addr) == 1 else { throw SocketError("inet_pton(\(host))", code: EINVAL) }
            family = AF_INET6
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee = address }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw SocketError("inet_pton(\(host))", code: EINVAL) }
            family = AF_INET
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee = address }
            }
        }
    }

    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var copy = storage
        return withUnsafePointer(to: &copy) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }
}
