#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// URLs ceauth sends requests or people to: Cloud Elements, Google's endpoints, the events URL.
public enum ServiceURL {
    /// Accepts `https://` anywhere and plain `http://` only to a loopback host, where nothing
    /// crosses the network; anything else would send secrets or codes in clear text.
    /// `sentByCEAuth`: ceauth itself sends requests there, so the URL is read by libcurl's own
    /// parser, the one the transport uses: what it would refuse (a port past 65535, a bad host)
    /// is refused now, before the browser opens, and the URL is used in the form libcurl reads it
    /// (`127.000.000.001` becomes `127.0.0.1`), everywhere.
    public static func validate(_ text: String, what: String, sentByCEAuth: Bool = false) throws(ConfigurationError) -> URL {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              var host = components.host, !host.isEmpty, var url = components.url else {
            throw .invalidURL(what: what, value: text, reason: "it is not an absolute URL")
        }
        guard components.user == nil, components.password == nil else {
            throw .invalidURL(what: what, value: text, reason: "it must not carry a user name or password")
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw .invalidURL(what: what, value: text, reason: "the port must be between 1 and 65535")
        }
        if sentByCEAuth {
            if let problem = CurlLibrary.loadError { throw .httpClientUnavailable(problem) }
            switch CurlURL.parse(text) {
            case .failure(let refusal):
                throw .invalidURL(what: what, value: text, reason: "the HTTP client refuses it (\(refusal.reason))")
            case .success(let read):
                guard let normalised = URL(string: read.url) else {
                    throw .invalidURL(what: what, value: text, reason: "it is not an absolute URL")
                }
                url = normalised
                host = read.host
            }
        }
        switch scheme {
        case "https":
            return url
        case "http":
            guard isLoopback(host) else {
                throw .invalidURL(what: what, value: text, reason: "plain http:// is refused except to a loopback host (127.0.0.1, [::1], localhost); use https://")
            }
            return url
        default:
            throw .invalidURL(what: what, value: text, reason: "the scheme must be https")
        }
    }

    public static func isLoopback(_ host: String) -> Bool {
        var h = Substring(host.lowercased())
        if h.hasPrefix("["), h.hasSuffix("]") { h = h.dropFirst().dropLast() }
        if h == "localhost" || h == "::1" { return true }
        let parts = h.split(separator: ".", omittingEmptySubsequences: false)
        // Canonical dotted decimal only: with leading zeros ("127.0.0.08") an HTTP client may read
        // octal, or send the name to DNS, and end up somewhere other than loopback.
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { part in UInt8(part).map { String($0) == part } ?? false }
    }
}
