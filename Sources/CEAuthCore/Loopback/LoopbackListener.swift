import Dispatch
/// The genuine redirect's connection, held open until the outcome is known so the browser
/// gets the result page (instance created, or what went wrong) as its answer. A redirect that
/// was pasted (`--paste`) has no connection to answer.
public final class PendingRedirect {
    public let result: CallbackResult
    private let socket: Socket?

    init(result: CallbackResult, socket: Socket?) {
        self.result = result
        self.socket = socket
    }

    /// Sends the final page and closes the connection. Errors are ignored: the browser may have
    /// gone away, and the terminal already has the outcome.
    public func respond(status: Int, html: String) {
        guard let socket else { return }
        try? socket.sendAll(HTTPResponseBytes.make(status: status, contentType: "text/html; charset=utf-8", body: html))
        socket.shutdownWrite()
        socket.close()
    }

    deinit {
        socket?.close()
    }
}

/// The temporary HTTP server on loopback that catches the OAuth redirect. Single-threaded,
/// poll()-driven: many connections are served at once, so a stalled or junk client cannot
/// hold up the genuine redirect for longer than the per-connection deadline.
public final class LoopbackListener {
    public struct Limits: Sendable {
        /// Bytes of request line plus headers (431 past it).
        public var maxHeadBytes = HTTPRequestHeadParser.defaultLimit
        /// A client that has not sent a whole head by then is dropped (slowloris).
        public var connectionDeadlineSeconds = 5.0
        /// Connections served at once; past it the oldest is closed to make room.
        public var maxConnections = 64
        public init() {}
    }

    /// The URI to send Google and Cloud Elements, with the actual port.
    public let redirectURI: String
    public let port: UInt16
    public let addresses: [String]
    private var listeners: [Socket]
    private let limits: Limits
    /// The page for a GET that is not the genuine redirect (styled like the result pages);
    /// plain text when nil.
    public var strayPage: ((Int, String) -> String)?
    private let screen: RequestScreen

    /// Binds the redirect's addresses at once, so a port in use fails before the browser opens.
    public convenience init(redirect: LoopbackRedirect, limits: Limits = Limits()) throws(ListenerError) {
        try self.init(redirect: redirect, limits: limits, bind: { (host, port) throws(SocketError) in
            try Socket.listen(host: host, port: port)
        })
    }

    /// `bind` lets tests make an address unavailable, as on a host without IPv4 loopback.
    init(redirect: LoopbackRedirect, limits: Limits,
         bind: (String, UInt16) throws(SocketError) -> Socket) throws(ListenerError) {
        self.limits = limits
        var redirect = redirect
        var bound: (sockets: [Socket], port: UInt16, addresses: [String])
        do {
            bound = try Self.bindAll(redirect, bind: bind)
        } catch {
            // No IPv4 loopback (IPv6-only containers): the default redirect moves to [::1].
            // A fixed redirect URI is registered with Google as written, so it never moves.
            guard let fallback = redirect.fallback, let moved = try? Self.bindAll(fallback, bind: bind) else { throw error }
            redirect = fallback
            bound = moved
        }
        self.listeners = bound.sockets
        self.port = bound.port
        self.addresses = bound.addresses
        self.redirectURI = redirect.uri(port: bound.port)
        self.screen = RequestScreen(redirect: redirect, port: bound.port)
    }

    private static func bindAll(_ redirect: LoopbackRedirect, bind: (String, UInt16) throws(SocketError) -> Socket)
        throws(ListenerError) -> (sockets: [Socket], port: UInt16, addresses: [String]) {
        var sockets: [Socket] = []
        var port = redirect.port
        var bound: [String] = []
        var absent: (address: String, error: SocketError)?
        for address in redirect.bindAddresses {
            do {
                let socket = try bind(address, port)
                if port == 0 { port = try socket.localPort() }
                sockets.append(socket)
                bound.append(address)
            } catch {
                // For localhost an address family that does not exist on this machine may be
                // skipped: the browser cannot resolve localhost to it either. One that is in use
                // or refused may not: a browser that resolves localhost there would hand the code
                // and state to whoever holds it.
                let missingFamily = error.code == OS.Code.addressNotAvailable || error.code == OS.Code.familyNotSupported
                if missingFamily && redirect.bindAddresses.count > 1 {
                    absent = (address, error)
                    continue
                }
                if error.code == OS.Code.addressInUse { throw .portInUse(host: address, port: port) }
                throw .cannotListen(host: address, port: port, error)
            }
        }
        if sockets.isEmpty, let absent { throw .cannotListen(host: absent.address, port: port, absent.error) }
        return (sockets, port, bound)
    }

    deinit {
        close()
    }

    /// Stops listening and releases the port. Safe to call more than once.
    public func close() {
        for socket in listeners { socket.close() }
        listeners = []
    }

    private struct Connection {
        var socket: Socket
        var buffer: [UInt8] = []
        var deadline: Double
    }

    /// Serves requests until one passes `validator`, the timeout passes, or `cancel` fires.
    /// Every other request gets its own answer (404, 405, 400, 431) and the wait goes on.
    /// On return the listening sockets are closed: only the first genuine redirect counts.
    public func waitForRedirect(validator: CallbackValidator, timeoutSeconds: Double,
                                cancel: CancelSignal? = nil, pasted: PasteChannel? = nil,
                                notice: (String) -> Void = { _ in },
                                log: (String) -> Void = { _ in }) throws -> PendingRedirect {
        // Requests a person should hear about even without --verbose, once per kind.
        var noticed: Set<String> = []
        let noticeOnce: (String) -> Void = { text in if noticed.insert(text).inserted { notice(text) } }
        defer { close() }
        let deadline = monotonicSeconds() + timeoutSeconds
        var connections: [Connection] = []
        while true {
            let now = monotonicSeconds()
            if now >= deadline { throw AuthorizationError.timedOut(seconds: Int(timeoutSeconds.rounded())) }
            connections.removeAll { connection in
                if connection.deadline <= now {
                    log("dropped a connection that sent no complete request within \(Int(limits.connectionDeadlineSeconds))s")
                    return true
                }
                return false
            }
            let nextDeadline = connections.map(\.deadline).min().map { Swift.min($0, deadline) } ?? deadline
            let waitMs = Int32(Swift.max(1, Swift.min(Double(Int32.max), ((nextDeadline - now) * 1000).rounded(.up))))

            var fds = listeners.map(\.fd)
            if let cancel { fds.append(cancel.readFD) }
            if let pasted { fds.append(pasted.readFD) }
            let firstConnection = fds.count
            fds += connections.map(\.socket.fd)

            guard let ready = OS.waitReadable(fds, timeoutMilliseconds: waitMs) else {
                if OS.lastError == OS.Code.interrupted { continue }
                throw ListenerError.failed(SocketError("poll"))
            }
            if !ready.contains(true) { continue }
            if cancel != nil, ready[listeners.count] { throw AuthorizationError.interrupted }
            if let pasted, ready[firstConnection - 1], let result = pasted.result {
                log("the redirect was pasted")
                return PendingRedirect(result: result, socket: nil)
            }

            // Connections first (they were accepted earlier), then new ones.
            var finished: Set<Int> = []
            for (index, connection) in connections.enumerated() {
                guard ready[firstConnection + index] else { continue }
                switch serve(&connections[index], validator: validator, notice: noticeOnce, log: log) {
                case .keepReading:
                    continue
                case .done:
                    finished.insert(index)
                case .genuine(let result):
                    let pending = PendingRedirect(result: result, socket: connection.socket)
                    return pending
                }
            }
            connections = connections.enumerated().filter { !finished.contains($0.offset) }.map(\.element)

            // At the cap the oldest connection makes room: idle connections held open by junk
            // clients cannot lock the browser out. Taking at most a quarter of the cap per round
            // means a new connection is read at least once before it can be pushed out.
            var accepted = 0
            let perRound = Swift.max(1, limits.maxConnections / 4)
            for (index, listener) in listeners.enumerated() where ready[index] {
                while accepted < perRound, let client = try acceptOne(listener) {
                    accepted += 1
                    if connections.count >= limits.maxConnections {
                        connections.removeFirst().socket.close()
                        log("too many connections at once; closed the oldest")
                    }
                    try? client.setSendTimeout(seconds: 2)
                    connections.append(Connection(socket: client, deadline: monotonicSeconds() + limits.connectionDeadlineSeconds))
                }
            }
        }
    }

    private func acceptOne(_ listener: Socket) throws -> Socket? {
        do {
            return try listener.accept()
        } catch {
            // Out of descriptors and the like: skip this round instead of ending the wait.
            if OS.Code.outOfResources.contains(error.code) { return nil }
            throw ListenerError.failed(error)
        }
    }

    private enum ServeOutcome {
        case keepReading
        case done
        case genuine(CallbackResult)
    }

    private func serve(_ connection: inout Connection, validator: CallbackValidator, notice: (String) -> Void,
                       log: (String) -> Void) -> ServeOutcome {
        let received: Socket.ReceiveResult
        do {
            received = try connection.socket.receive(maxBytes: 4096)
        } catch {
            return .done
        }
        switch received {
        case .wouldBlock:
            return .keepReading
        case .closed:
            return .done
        case .data(let bytes):
            connection.buffer += bytes
        }
        let head: HTTPRequestHead
        do {
            guard let parsed = try HTTPRequestHeadParser.parse(connection.buffer, limit: limits.maxHeadBytes) else {
                return .keepReading
            }
            head = parsed
        } catch .requestLineTooLong {
            reply(connection.socket, HTTPResponseBytes.plainText(status: 414, "the request line is too long"))
            log("answered 414 to an oversized request line")
            return .done
        } catch .tooLarge {
            reply(connection.socket, HTTPResponseBytes.plainText(status: 431, "the request head is too large"))
            log("answered 431 to an oversized request")
            return .done
        } catch {
            reply(connection.socket, HTTPResponseBytes.plainText(status: 400, "that is not an HTTP request"))
            log("answered 400 to a malformed request")
            return .done
        }
        // Addressed to this listener and bodiless first; only then does the OAuth check look.
        let decision = screen.check(head).map { CallbackDecision.reject(status: $0.status, reason: $0.reason) }
            ?? validator.decide(head)
        switch decision {
        case .reject(let status, let reason):
            let extra: [(String, String)] = status == 405 ? [("Allow", "GET")] : []
            if head.method == "GET", let strayPage {
                reply(connection.socket, HTTPResponseBytes.make(status: status, contentType: "text/html; charset=utf-8",
                                                                body: strayPage(status, reason)))
            } else {
                reply(connection.socket, HTTPResponseBytes.plainText(status: status, reason, extraHeaders: extra))
            }
            log("answered \(status) to \(head.method) \(head.path): \(reason)")
            if let kind = Self.noticeable(status: status, reason: reason) { notice(kind) }
            return .done
        case .finish(let result):
            return .genuine(result)
        }
    }

    /// What the person is told, once, about a refused request that may be theirs or an attack.
    static func noticeable(status: Int, reason: String) -> String? {
        if reason == CallbackValidator.wrongState { return "Ignored a request with a wrong state (an old browser tab, or another sign-in?); still waiting." }
        if status == 421 { return "Ignored a request addressed to another host (a web page reaching for ceauth?); still waiting." }
        return nil
    }

    private func reply(_ socket: Socket, _ bytes: [UInt8]) {
        try? socket.sendAll(bytes)
        socket.shutdownWrite()
        socket.close()
    }
}
