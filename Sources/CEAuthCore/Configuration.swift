#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Problems with what the user gave ceauth: options, environment variables, URLs.
public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    case missingEnvironment([String])
    case invalidURL(what: String, value: String, reason: String)
    case conflictingOptions(String)
    case invalidValue(option: String, reason: String)
    case controlCharacterInVariable(String, character: String)
    /// libcurl, which ceauth loads when it first needs HTTP, is missing or too old.
    case httpClientUnavailable(String)

    /// The name of the first control character in `value` (e.g. "a carriage return"), or nil.
    public static func controlCharacter(in value: String) -> String? {
        guard let scalar = value.unicodeScalars.first(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) else {
            return nil
        }
        switch scalar {
        case "\r": return "a carriage return (CR)"
        case "\n": return "a line feed (LF)"
        case "\t": return "a tab"
        default:
            return "the control character U+" + hexDigits(scalar.value, 4, uppercase: true)
        }
    }

    public var description: String {
        switch self {
        case .missingEnvironment(let names):
            let list = names.joined(separator: ", ")
            return "missing \(names.count == 1 ? "environment variable" : "environment variables") \(list); set \(names.count == 1 ? "it" : "them") before running ceauth (secrets come from the environment or a profile's secret command, never from the command line)"
        case .invalidURL(let what, let value, let reason):
            return "\(what) '\(value)' cannot be used: \(reason)"
        case .conflictingOptions(let text):
            return text
        case .invalidValue(let option, let reason):
            return "\(option): \(reason)"
        case .httpClientUnavailable(let problem):
            return "ceauth talks to Cloud Elements through libcurl, and \(problem)"
        case .controlCharacterInVariable(let name, let character):
            return "\(name) contains \(character), which cannot be sent in an HTTP header; remove it and run again (a value read from a file with Windows line endings ends in CR: tr -d '\\r'). Its value is not shown"
        }
    }
}

/// The Cloud Elements environments, by the name `--env` takes.
public enum CloudElementsEnvironment: String, CaseIterable, Sendable {
    case us, eu, staging

    public var baseURL: URL {
        switch self {
        case .us: return URL(string: "https://api.cloud-elements.com/elements/api-v2")!
        case .eu: return URL(string: "https://api.cloud-elements.co.uk/elements/api-v2")!
        case .staging: return URL(string: "https://staging.cloud-elements.com/elements/api-v2")!
        }
    }
}

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
