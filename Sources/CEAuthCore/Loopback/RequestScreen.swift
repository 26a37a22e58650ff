/// HTTP-level checks on every request the loopback listener receives, before the OAuth
/// checks: the request must be addressed to this listener and carry no body. Pure.
public struct RequestScreen: Sendable, Equatable {
    /// Lower-cased `Host` values that name the listener, e.g. `127.0.0.1:53682`.
    public let allowedHosts: Set<String>

    /// Only the host the redirect URI names counts: a web page that rebinds its own DNS name
    /// to 127.0.0.1 reaches the socket, but its requests carry its own name (DNS rebinding).
    public init(redirect: LoopbackRedirect, port: UInt16) {
        let host = redirect.host == "::1" ? "[::1]" : redirect.host
        var hosts: Set<String> = ["\(host):\(port)"]
        // A browser leaves out the default port.
        if port == 80 { hosts.insert(host) }
        allowedHosts = hosts
    }

    /// nil when the request may go on to the OAuth checks; otherwise the answer to give.
    public func check(_ head: HTTPRequestHead) -> (status: Int, reason: String)? {
        let hosts = head.headers.filter { $0.name.lowercased() == "host" }
        guard hosts.count == 1 else {
            return (400, hosts.isEmpty ? "the request has no Host header" : "the request has more than one Host header")
        }
        guard allowedHosts.contains(hosts[0].value.lowercased()) else {
            return (421, "this listener answers only to \(allowedHosts.sorted().joined(separator: " or "))")
        }
        // The redirect is a GET with no body; a body could only be junk to skip or smuggle.
        if head.header("Transfer-Encoding") != nil {
            return (400, "no request body is accepted here")
        }
        if let length = head.header("Content-Length"), length != "0" {
            return (413, "no request body is accepted here")
        }
        return nil
    }
}
