#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Problems with the loopback listener: the redirect URI it should serve, or its sockets.
public enum ListenerError: Error, Equatable, CustomStringConvertible {
    case invalidRedirectURI(String, reason: String)
    case portInUse(host: String, port: UInt16)
    case cannotListen(host: String, port: UInt16, SocketError)
    case failed(SocketError)

    public var description: String {
        switch self {
        case .invalidRedirectURI(let uri, let reason):
            return "the redirect URI '\(uri)' cannot be used: \(reason)"
        case .portInUse(let host, let port):
            return "port \(port) on \(host) is already in use; stop the program using it, or choose another port in --redirect-uri (and register that URI with the Google client)"
        case .cannotListen(let host, let port, let error):
            return "cannot listen on \(host) port \(port): \(error)"
        case .failed(let error):
            return "the loopback listener failed: \(error)"
        }
    }
}

/// Where the browser is sent back to: a loopback HTTP URI (RFC 8252 section 7.3).
public struct LoopbackRedirect: Sendable, Equatable {
    /// `127.0.0.1`, `::1` or `localhost`, as written in the URI.
    public var host: String
    /// 0 means an ephemeral port chosen when listening.
    public var port: UInt16
    public var path: String

    /// `http://127.0.0.1:<ephemeral>/`: works with Google clients of type Desktop app.
    public static let ephemeral = LoopbackRedirect(host: "127.0.0.1", port: 0, path: "/")

    public init(host: String, port: UInt16, path: String) {
        self.host = host
        self.port = port
        self.path = path
    }

    /// Parses a user's `--redirect-uri`; only plain-HTTP loopback URIs are accepted, since the
    /// listener is on this machine and must not be reachable from others.
    public static func parse(_ text: String) throws(ListenerError) -> LoopbackRedirect {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw .invalidRedirectURI(text, reason: "it is not a URI")
        }
        guard scheme == "http" else {
            throw .invalidRedirectURI(text, reason: "the scheme must be http (the listener on this machine speaks plain HTTP)")
        }
        guard components.user == nil, components.password == nil else {
            throw .invalidRedirectURI(text, reason: "it must not carry a user name or password")
        }
        guard components.query == nil, components.fragment == nil else {
            throw .invalidRedirectURI(text, reason: "it must not have a query or fragment")
        }
        let rawHost = (components.host ?? "").lowercased()
        let host: String
        switch rawHost {
        case "127.0.0.1", "localhost": host = rawHost
        case "::1", "[::1]": host = "::1"
        default:
            throw .invalidRedirectURI(text, reason: "the host must be 127.0.0.1, [::1] or localhost")
        }
        guard let port = components.port else {
            throw .invalidRedirectURI(text, reason: "it must name a port, e.g. http://127.0.0.1:8080/ (Google Web clients need the exact registered port)")
        }
        guard (1...65535).contains(port) else {
            throw .invalidRedirectURI(text, reason: "the port must be between 1 and 65535")
        }
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        if let reason = browserWouldRewrite(path) {
            throw .invalidRedirectURI(text, reason: reason)
        }
        return LoopbackRedirect(host: host, port: UInt16(port), path: path)
    }

    /// Browsers normalise a URL before they follow it (WHATWG URL): `.` and `..` segments,
    /// also spelled `%2e`, are resolved and `\\` becomes `/`. Such a redirect URI would reach the
    /// listener as another path, and Google compares it as written: refuse it up front.
    static func browserWouldRewrite(_ path: String) -> String? {
        if path.contains("\\") { return "its path has a backslash, which browsers turn into '/'; use '/'" }
        for segment in path.split(separator: "/", omittingEmptySubsequences: false) {
            let spelled = segment.lowercased().replacing("%2e", with: ".")
            if spelled == "." || spelled == ".." {
                return "its path has a '\(segment)' segment, which browsers resolve before following the redirect, so it would never match; write the path without it"
            }
        }
        return nil
    }

    /// The addresses to listen on: `localhost` may resolve to either family in the browser.
    public var bindAddresses: [String] {
        switch host {
        case "localhost": return ["127.0.0.1", "::1"]
        default: return [host]
        }
    }

    /// Where the default redirect moves when 127.0.0.1 cannot be bound: `http://[::1]:<ephemeral>/`.
    /// Only the ephemeral default has one; a URI the user fixed is registered with Google as written.
    public var fallback: LoopbackRedirect? {
        self == .ephemeral ? LoopbackRedirect(host: "::1", port: 0, path: path) : nil
    }

    /// The URI with the actual port, exactly as sent to Google and to Cloud Elements.
    public func uri(port actualPort: UInt16) -> String {
        let shownHost = host == "::1" ? "[::1]" : host
        return "http://\(shownHost):\(actualPort)\(path)"
    }
}
